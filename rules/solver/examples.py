"""Realistic values for witness cases: what a text fact holds when the rules do not say.

The solver sees a text fact (`place.district`) as a code; a witness shows a literal the rules
mention for a code they mention, and otherwise a realistic name: a district of the region the same
witness states (so a case reads "Almaly district of Almaty", never "example 1").
"""

from __future__ import annotations

# Districts (city districts for the three cities of republican significance) per region, by the
# enum values of `region` in provisions/00_vocabulary.law.
DISTRICTS: dict[str, tuple[str, ...]] = {
    "abai": ("Ayagoz", "Beskaragai", "Borodulikha", "Zharma", "Kokpekty", "Urzhar"),
    "akmola": ("Tselinograd", "Arshaly", "Burabay", "Zerendi", "Shortandy"),
    "aktobe": ("Alga", "Khromtau", "Mugalzhar", "Kargaly"),
    "almaty_region": ("Talgar", "Karasai", "Ile", "Enbekshikazakh", "Zhambyl"),
    "atyrau": ("Zhylyoi", "Makhambet", "Isatay", "Inder"),
    "east_kazakhstan": ("Glubokoye", "Zyryanovsk", "Ulan", "Shemonaikha"),
    "jambyl": ("Baizak", "Zhualy", "Merke", "Shu"),
    "jetisu": ("Karatal", "Eskeldi", "Kerbulak", "Panfilov"),
    "karaganda": ("Bukhar-Zhyrau", "Abai", "Osakarov", "Karkaraly"),
    "kostanay": ("Kostanay district", "Zhitikara", "Karabalyk", "Mendykara"),
    "kyzylorda": ("Syrdariya", "Shieli", "Zhalagash", "Kazaly"),
    "mangystau": ("Munaily", "Karakiya", "Tupkaragan", "Beineu"),
    "north_kazakhstan": ("Kyzylzhar", "Esil", "Akkayin", "Timiryazev"),
    "pavlodar": ("Bayanaul", "Irtysh", "Zhelezin", "Uspen"),
    "turkistan": ("Sairam", "Tolebi", "Ordabasy", "Kazygurt"),
    "ulytau": ("Ulytau district", "Zhanaarka"),
    "west_kazakhstan": ("Terekty", "Burlin", "Baiterek", "Akzhaik"),
    "astana": ("Yesil", "Saryarka", "Almaty district", "Baikonur", "Nura"),
    "almaty": ("Almaly", "Bostandyk", "Medeu", "Auezov", "Alatau", "Zhetysu", "Nauryzbay",
               "Turksib"),
    "shymkent": ("Abay", "Al-Farabi", "Enbekshi", "Karatau", "Turan"),
}

ALL_DISTRICTS: tuple[str, ...] = tuple(dict.fromkeys(d for ds in DISTRICTS.values() for d in ds))


def text_example(path: str, number: int, region: str | None, taken: set[str]) -> str:
    """A realistic text for code `number` of the fact `path`, avoiding the texts the rules
    mention (`taken`), so that the evaluator sees what the solver meant: "not one of those"."""
    if path.rsplit(".", 1)[-1] == "district":
        names = [d for d in DISTRICTS.get(region or "", ALL_DISTRICTS) if d not in taken] or \
            [d for d in ALL_DISTRICTS if d not in taken]
        if names:
            return names[number % len(names)]
    return f"example {number}"
