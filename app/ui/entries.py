"""Model entries as the pages write them, in the one model grammar (resnet_edu.models.grammar).

    with_options("resnet56", shortcut="B", design="full_preact") -> "resnet56:shortcut=B,design=full_preact"

Defaults (option A, the original unit) are left out, so a link names only what differs.
"""

from resnet_edu.models import parse_model_name, split_entry


def with_options(name: str, shortcut: str | None = "A", design: str = "original") -> str:
    """A residual net's entry with a shortcut option and a unit design; a plain net keeps only the design.

    shortcut None: no shortcut at all (a plain net of the same units, which the grammar calls plain<d>).
    """
    base, options = split_entry(name)
    residual = base.startswith("resnet") and shortcut is not None
    if not residual:
        base = "plain" + base.removeprefix("resnet").removeprefix("plain")
    if residual and shortcut != "A":
        options["shortcut"] = shortcut
    if design != "original":
        options["design"] = design
    return base + (":" + ",".join(f"{k}={v}" for k, v in options.items()) if options else "")


def problem(entry: str) -> str | None:
    """Why the grammar refuses `entry` as a CIFAR plain or residual net, in its words; None: it accepts it.
    (No net is built.)"""
    try:
        spec = parse_model_name(entry)
    except ValueError as err:
        return str(err)
    if spec.family != "cifar" or not split_entry(entry)[0].startswith(("resnet", "plain")):
        return f"{entry}: not a CIFAR plain or residual net"
    return None


def buildable(entry: str) -> bool:
    return problem(entry) is None
