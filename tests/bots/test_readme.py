"""The README's sample conversation is what the demo says, word for word."""

from __future__ import annotations

from scripts import readme_demo


def test_the_readme_conversation_is_what_the_demo_prints() -> None:
    readme = readme_demo.README.read_text("utf-8")
    assert readme_demo.block(readme) == readme_demo.transcript(), (
        "the bot's replies changed: run `python -m scripts.readme_demo` and review the README"
    )


def test_rewriting_keeps_everything_around_the_block() -> None:
    readme = f"# Vivo\nbefore\n{readme_demo.START}\nold\n{readme_demo.END}\nafter\n"
    rewritten = readme_demo.rewrite(readme, "ana: !tienda\nbot → @ana: …")
    assert rewritten.startswith("# Vivo\nbefore\n") and rewritten.endswith("\nafter\n")
    assert readme_demo.block(rewritten) == "ana: !tienda\nbot → @ana: …"


def test_the_first_screen_is_still_about_make_demo_and_make_test() -> None:
    readme = readme_demo.README.read_text("utf-8")
    first_screen = readme[: readme.index("## Running it for your stream")]
    assert "make demo" in first_screen and "make test" in first_screen
