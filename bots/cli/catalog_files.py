"""Product files as sellers really save them: `[[products]]` TOML, or a spreadsheet's CSV.

A CSV comes from Excel or Google Sheets: UTF-8 with a byte-order mark, or Windows-1252
("ANSI"); comma- or semicolon-separated (Excel's default where the decimal mark is a comma,
as in es-AR); headers in Spanish, Portuguese or English. Prices are read the way the chat
reads them (`3.500` is three thousand five hundred, `3500,50` has cents), never as floats.
Every problem is collected and reported with its line and column, so one pass fixes them.
Rows that share a SKU and carry a `variante` (`talle=M`) become that product's variants.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from bots.config import ConfigError, parse_config
from commerce.errors import InvalidAmount
from commerce.money import parse_amount
from commerce.views import ProductSpec, VariantSpec

# Header words, accents and case folded, for each field a product row can carry.
COLUMNS: dict[str, tuple[str, ...]] = {
    "sku": ("sku", "codigo", "cod", "code", "id", "referencia", "ref"),
    "name": ("name", "nombre", "nome", "producto", "produto", "product", "articulo"),
    "price": ("price", "precio", "preco", "valor", "precio unitario"),
    "stock": ("stock", "cantidad", "quantity", "qty", "estoque", "existencias", "unidades"),
    "aliases": ("aliases", "alias", "apodos", "palabras", "apelidos"),
    "description": ("description", "descripcion", "descricao", "detalle"),
    "image_url": ("image_url", "imagen", "image", "foto", "imagem", "url imagen"),
    "max_per_viewer": ("max_per_viewer", "maximo por persona", "max por persona", "limite"),
    "active": ("active", "activo", "ativo", "a la venta", "publicado"),
    "variant": ("variant", "variante", "variacion", "variacao", "opcion"),
    "digital": ("digital",),
    "delivery": ("delivery", "entrega", "metodo de entrega", "envio o retiro"),
    "queue": ("queue", "cola", "fila"),
    "deliver_text": ("deliver_text", "texto de entrega", "texto entregado", "texto digital"),
}
#: What the delivery column may say, folded, for each method.
DELIVERY_WORDS = {
    "ship": "ship",
    "envio": "ship",
    "enviar": "ship",
    "correo": "ship",
    "envio a domicilio": "ship",
    "pickup": "pickup",
    "retiro": "pickup",
    "retirar": "pickup",
    "retirada": "pickup",
    "digital": "digital",
}
REQUIRED = ("sku", "name", "price")
_YES = {"si", "yes", "true", "1", "x", "sim", "verdadero"}
_NO = {"no", "false", "0", "nao", "falso"}


class ProductFileError(Exception):
    """A product file that cannot be imported; `problems` names each line and column."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{path} has {len(problems)} problem(s); nothing was imported:\n{lines}")


def read_products(path: Path, currency: str, locale: str = "es") -> list[ProductSpec]:
    """The products a file describes (CSV by its extension, TOML otherwise)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ProductFileError(path, ["file not found: check the name and folder"]) from None
    except IsADirectoryError:
        raise ProductFileError(path, ["is a folder, not a file"]) from None
    if path.suffix.lower() in (".csv", ".txt", ".tsv"):
        return read_csv(_decode(data), currency, locale, name=path.name, path=path)
    return _read_toml(path, _decode(data), currency)


def _decode(data: bytes) -> str:
    """UTF-8 (a BOM, as Excel writes it, is dropped), else Windows-1252, as Excel's "CSV"
    saves on Windows; every byte decodes there, so a Latin-1 file never fails."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read_toml(path: Path, text: str, currency: str) -> list[ProductSpec]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProductFileError(path, [f"is not valid TOML ({exc})"]) from None
    try:
        parsed = parse_config(
            {
                "store": {"currency": currency},
                "products": raw.get("products", []),
                "payments": {"mercadopago": {"access_token": "-"}},
            },
            {},
        )
    except ConfigError as exc:
        raise ProductFileError(path, [str(p) for p in exc.problems]) from None
    if not parsed.products:
        raise ProductFileError(path, ["has no [[products]] tables"])
    return list(parsed.products)


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.replace("_", " ").split())


_HEADERS = {fold(word): name for name, words in COLUMNS.items() for word in words}


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


@dataclass
class _Product:
    first_line: int
    values: dict[str, str]
    variants: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def read_csv(
    text: str, currency: str, locale: str = "es", *, name: str = "CSV", path: Path | None = None
) -> list[ProductSpec]:
    """Products from a CSV's text; raises ProductFileError listing every problem."""
    where = path or Path(name)
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise ProductFileError(where, ["is empty: the first line should name the columns"])
    first = next(line for line in lines if line.strip())
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(first))
    rows = [(n, row) for n, row in enumerate(reader, start=1) if any(c.strip() for c in row)]
    header_line, header = rows[0]
    columns: dict[str, int] = {}
    problems: list[str] = []
    for i, title in enumerate(header):
        key = _HEADERS.get(fold(title))
        if key is not None and key not in columns:
            columns[key] = i
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        found = ", ".join(h.strip() for h in header if h.strip()) or "none"
        raise ProductFileError(
            where,
            [
                f"line {header_line}: no column for {', '.join(missing)} (found: {found}); "
                "the first line must name the columns, e.g. sku;nombre;precio;stock "
                "(Spanish, Portuguese and English names all work)"
            ],
        )
    products: dict[str, _Product] = {}
    for n, row in rows[1:]:
        values = {key: row[i].strip() if i < len(row) else "" for key, i in columns.items()}
        sku = values["sku"]
        if not sku:
            problems.append(f"{name}:{n} column {header[columns['sku']].strip()}: empty sku")
            continue
        known = products.get(sku.upper())
        if known is None:
            known = products[sku.upper()] = _Product(n, values)
        elif not values.get("variant") or not known.values.get("variant"):
            problems.append(
                f"{name}:{n} column {header[columns['sku']].strip()}: sku {sku} is also on "
                f"line {known.first_line}; to sell sizes or colours, add a variante column "
                "(talle=M) and one line per variant"
            )
            continue
        if values.get("variant"):
            known.variants.append((n, values))
    specs: list[ProductSpec] = []
    for product in products.values():
        spec = _spec(product, header, columns, currency, locale, name, problems)
        if spec is not None:
            specs.append(spec)
    if problems:
        raise ProductFileError(where, sorted(problems, key=_line_number))
    return specs


def _line_number(problem: str) -> int:
    found = re.search(r":(\d+) column", problem)
    return int(found.group(1)) if found else 0


def _spec(
    product: _Product,
    header: list[str],
    columns: dict[str, int],
    currency: str,
    locale: str,
    name: str,
    problems: list[str],
) -> ProductSpec | None:
    v = product.values
    n = product.first_line

    def at(line: int, key: str) -> str:
        title = header[columns[key]].strip() if key in columns else key
        return f"{name}:{line} column {title}"

    title = v["name"]
    if not title:
        problems.append(f"{at(n, 'name')}: empty name")
    price = _price(v["price"], currency, locale, at(n, "price"), problems)
    stock = _whole(v.get("stock", ""), 0, at(n, "stock"), problems)
    max_per = None
    if v.get("max_per_viewer"):
        max_per = _whole(v["max_per_viewer"], None, at(n, "max_per_viewer"), problems)
        if max_per is not None and max_per < 1:
            problems.append(f"{at(n, 'max_per_viewer')}: must be 1 or more (or empty: no limit)")
    active = _flag(v.get("active", ""), True, at(n, "active"), problems)
    digital = _flag(v.get("digital", ""), False, at(n, "digital"), problems)
    queue = _flag(v.get("queue", ""), False, at(n, "queue"), problems)
    method: str | None = None
    if v.get("delivery"):
        method = DELIVERY_WORDS.get(fold(v["delivery"]))
        if method is None:
            problems.append(
                f"{at(n, 'delivery')}: {v['delivery']!r} should be envio, retiro or digital"
            )
    is_digital = (method or ("digital" if digital else "ship")) == "digital"
    if (queue or v.get("deliver_text")) and not is_digital:
        problems.append(f"{at(n, 'delivery')}: a cola or texto de entrega needs digital")
    variants: list[VariantSpec] = []
    for line, values in product.variants:
        options = _options(values["variant"], at(line, "variant"), problems)
        vstock = _whole(values.get("stock", ""), 0, at(line, "stock"), problems)
        vprice: Decimal | None = None
        if values["price"] and values["price"] != v["price"]:
            vprice = _price(values["price"], currency, locale, at(line, "price"), problems)
        if options is not None and vstock is not None:
            variants.append(VariantSpec(options=options, stock=vstock, price=vprice))
    if not title or price is None or stock is None:
        return None
    aliases = tuple(a.strip() for a in re.split(r"[|,;]", v.get("aliases", "")) if a.strip())
    return ProductSpec(
        sku=v["sku"],
        name=title,
        price=price,
        currency=currency,
        stock=sum(x.stock for x in variants) if variants else stock,
        aliases=aliases,
        description=v.get("description", ""),
        active=bool(active),
        max_per_viewer=max_per,
        image_url=v.get("image_url") or None,
        digital=is_digital,
        variants=tuple(variants),
        delivery=method,
        queue=bool(queue),
        deliver_text=v.get("deliver_text") or None,
    )


def _price(
    text: str, currency: str, locale: str, where: str, problems: list[str]
) -> Decimal | None:
    if not text:
        problems.append(f"{where}: empty price")
        return None
    try:
        return parse_amount(text, currency, locale)
    except InvalidAmount as exc:
        reasons = {
            "too_many_decimals": f"{currency} does not have that many decimals",
            "wrong_currency": f"the store sells in {currency}",
            "zero": "a price must be more than zero",
            "negative": "a price cannot be negative",
        }
        why = reasons.get(exc.reason, "is not a price")
        problems.append(f"{where}: {text!r} {why} (write it like 3500, 3.500 or 3500,50)")
        return None


def _whole(text: str, default: int | None, where: str, problems: list[str]) -> int | None:
    if not text:
        return default
    cleaned = text.replace(" ", "")
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", cleaned):
        cleaned = re.sub(r"[.,]", "", cleaned)
    elif re.fullmatch(r"\d+[.,]0+", cleaned):
        cleaned = re.split(r"[.,]", cleaned)[0]
    if not cleaned.isdigit():
        problems.append(f"{where}: {text!r} is not a whole number of units (write it like 10)")
        return None
    return int(cleaned)


def _flag(text: str, default: bool, where: str, problems: list[str]) -> bool | None:
    word = fold(text)
    if not word:
        return default
    if word in _YES:
        return True
    if word in _NO:
        return False
    problems.append(f"{where}: {text!r} should be si or no")
    return None


def _options(text: str, where: str, problems: list[str]) -> dict[str, str] | None:
    """`talle=M` or `talle=M, color=negro` (`:` works too)."""
    options: dict[str, str] = {}
    for part in re.split(r"[,;/]", text):
        if not part.strip():
            continue
        pieces = re.split(r"[=:]", part, maxsplit=1)
        if len(pieces) != 2 or not pieces[0].strip() or not pieces[1].strip():
            problems.append(f"{where}: {text!r} should look like talle=M or talle=M, color=negro")
            return None
        options[pieces[0].strip()] = pieces[1].strip()
    if not options:
        problems.append(f"{where}: empty variant")
        return None
    return options
