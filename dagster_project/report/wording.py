"""The words around the numbers of the written findings.

Every number a sentence states is a table cell, passed in as the table shows it: these
functions only choose the verb ("rose", "fell") from the cells' values, so the text can never
quote a number the tables do not hold.
"""

from collections.abc import Sequence

DIRECTION_WORDS = {"IN": "uploads (IN)", "OUT": "downloads (OUT)"}
# Verbs of the sentences that introduce figures, as (one figure, several).
SHOW = ("shows", "show")
PLOT = ("plots", "plot")


def known(*cells: str | None) -> bool:
    """Whether the table has every one of the cells (a sentence needs all its numbers)."""
    return all(cell is not None for cell in cells)


def _sign(before: str, after: str) -> int:
    return (float(after) > float(before)) - (float(after) < float(before))


def movement(before: str, after: str, unit: str = "", when: Sequence[str] = ("", "")) -> str:
    """'rose from 5456 MB in 2023 to 5743 MB in 2024', 'fell from ...' or 'stayed at 224 MB'.

    `when` names the two periods ('in 2023', 'in 2024'), or nothing.
    """
    earlier, later = (f" {words}" if words else "" for words in when)
    sign = _sign(before, after)
    if sign == 0:
        return f"stayed at {after}{unit}"
    verb = "rose" if sign > 0 else "fell"
    return f"{verb} from {before}{unit}{earlier} to {after}{unit}{later}"


# A change as a verb and what follows it: ("grew", "14.0%"), so that two changes in a row
# can share the verb.
Change = tuple[str, str]


def growth(percent: str) -> Change:
    """('grew', '14.0%'), ('fell', '3.2%') or ('did not change', '') for a signed percentage."""
    value = float(percent)
    if value == 0:
        return ("did not change", "")
    return ("grew" if value > 0 else "fell", f"{percent.lstrip('-')}%")


def factor(times: str) -> Change:
    """('grew', 'by a factor of 1.72'), ('fell', 'to 0.95 times its level') or no change."""
    value = float(times)
    if value == 1:
        return ("did not change", "")
    if value > 1:
        return ("grew", f"by a factor of {times}")
    return ("fell", f"to {times} times its level")


def said(change: Change) -> str:
    """'grew 14.0%'."""
    return " ".join(word for word in change if word)


def changes(*described: tuple[Change, str]) -> str:
    """Changes and what each is of, the verb said once while it repeats: 'grew 14.0% for
    uploads (IN) and 12.0% for downloads (OUT)', 'grew 2.0% for IN and fell 1.0% for OUT'."""
    parts = []
    for position, ((verb, amount), of) in enumerate(described):
        repeated = position > 0 and described[position - 1][0][0] == verb
        parts.append(" ".join(word for word in (None if repeated else verb, amount, of) if word))
    return " and ".join(parts)


def capitalised(words: str) -> str:
    return words[:1].upper() + words[1:]


# How the data is counted, as the published report states it (its sections 1.2 and 1.3).
DATA_RULES = (
    "IN is what users upload and OUT what they download, as the ISP sees it.",
    "A user's daily usage is their volume over the week divided by seven. The statistics of "
    "daily usage count personal users only; a subscription using both PPPoE and IPoE counts "
    "as two users, and a mobile user is a phone number.",
    "The mode is the centre of the fullest 0.05-decade bin of a histogram of the logarithm of "
    "daily bytes.",
    "The port statistics include enterprise customers; for broadband they cover PPPoE flows "
    "only, as IPoE carries no flow detail. A flow's TCP or UDP port is the lower of its two "
    "ports. Sampled flow volumes are scaled by their packet sampling interval (1:N), listed "
    "per week with the provenance.",
)
