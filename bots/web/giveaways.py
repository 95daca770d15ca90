"""`GET /giveaways/<id>`: a giveaway's draw, public and read-only, for anyone to check.

JSON: the prize, the commitment published at the start, the entries in the order the draw
used them (platform, platform user id and display name: nothing else of the viewer's), the
exact text that was hashed, and after the draw the revealed seed, the winner and the recipe
(commerce.giveaways; docs/live-selling.md has a snippet that recomputes it).
`GET /giveaways/<id>/entries.txt` is that text alone, byte for byte.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from commerce import giveaways
from commerce.store import Store

RECIPE = (
    "text = '\\n'.join(platform + ':' + user_id for each entry, in order);"
    " index = int(sha256(seed + sha256(text.encode()).digest()).hexdigest(), 16) % len(entries);"
    " commitment = sha256(seed).hexdigest(); seed = bytes.fromhex(seed_hex)"
)


def setup(app: web.Application, store: Store) -> None:
    async def proof_of(request: web.Request) -> giveaways.Proof:
        try:
            giveaway_id = int(request.match_info["id"])
        except ValueError:
            raise web.HTTPNotFound() from None
        try:
            return await asyncio.to_thread(store.giveaway_proof, giveaway_id)
        except giveaways.GiveawayNotFound:
            raise web.HTTPNotFound() from None

    async def page(request: web.Request) -> web.Response:
        return web.json_response(_body(await proof_of(request)))

    async def text(request: web.Request) -> web.Response:
        proof = await proof_of(request)
        return web.Response(text=proof.text, content_type="text/plain", charset="utf-8")

    app.router.add_get("/giveaways/{id}", page)
    app.router.add_get("/giveaways/{id}/entries.txt", text)


def _body(proof: giveaways.Proof) -> dict[str, Any]:
    shown = proof.giveaway
    winner = shown.winner
    return {
        "id": shown.id,
        "status": shown.status,
        "prize": shown.product,
        "variant": shown.variant_key,
        "started_at": shown.started_at.isoformat(),
        "closed_at": shown.closed_at.isoformat() if shown.closed_at else None,
        "commitment": shown.commitment,
        "seed": proof.seed_hex,  # None until the draw
        "commitment_matches": proof.commitment_ok,
        "entries": [
            {"number": e.number, "platform": e.platform, "user_id": e.user_id, "name": e.name}
            for e in proof.entries
        ],
        "entries_text": proof.text,
        "winner": (
            {
                "number": winner.number,
                "platform": winner.platform,
                "user_id": winner.user_id,
                "name": winner.name,
            }
            if winner is not None
            else None
        ),
        "recomputed_index": proof.recomputed,
        "recipe": RECIPE,
    }
