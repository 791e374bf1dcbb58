"""The one model grammar: how a model is named in a run config, the CLI, a URL and build_model.

    entry   := name [":" option ("," option)*]        e.g. "resnet56:shortcut=B,design=full_preact"
    option  := key "=" value                           keys are ModelSpec fields (registry.py)
    value   := none | plain | true | false | int | float | word | 16/32/64

A list of entries (`--models`, `?models=`) is comma-separated; a piece like "span=3" with no
model name continues the options of the entry before it. Pure string handling: registry.py
turns the result into a ModelSpec.
"""


def split_entry(entry: str) -> tuple[str, dict]:
    """'resnet56:shortcut=B,span=3' -> ('resnet56', {'shortcut': 'B', 'span': 3})."""
    if not isinstance(entry, str):
        raise ValueError(f"a model entry is a name like resnet56, got {entry!r}")
    name, _, opts = entry.partition(":")
    options = {}
    for item in filter(None, (piece.strip() for piece in opts.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"model option {item!r} in {entry!r} must look like key=value")
        options[key.strip()] = parse_value(value.strip())
    return name.strip(), options


def split_models(text: str) -> tuple[str, ...]:
    """'plain56,resnet56:shortcut=B,span=3' -> ('plain56', 'resnet56:shortcut=B,span=3').

    Entries are separated by commas (or ';'); a piece like 'span=3' with no model name
    continues the options of the entry before it.
    """
    entries: list[str] = []
    for piece in (p.strip() for p in text.replace(";", ",").split(",")):
        if not piece:
            continue
        if "=" in piece and ":" not in piece and entries and ":" in entries[-1]:
            entries[-1] += "," + piece
        else:
            entries.append(piece)
    return tuple(entries)


def parse_value(text: str):
    """'none'/'plain' -> None, 'true'/'false' -> bool, numbers -> int/float, else the text."""
    if text.lower() in ("none", "plain"):
        return None
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text
