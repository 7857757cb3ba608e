"""Fabrication de fichiers d'import pour les tests."""

ENTETE_CANDIDATS = "numero_candidat;nom;prenom;date_naissance;uai;statut;forme;lv1;lv2;facultatives"
UAI_1 = "0750001U"  # lettre clé : 750001 mod 23 = 20 → U
UAI_2 = "0930122"  # complété par fabriques.uai


def csv_bytes(entete: str, *lignes: str, bom: bool = True) -> bytes:
    texte = "\n".join([entete, *lignes]) + "\n"
    return ("\ufeff" if bom else "").encode() + texte.encode("utf-8")


def ligne_candidat(
    numero="A001",
    nom="MARTIN",
    prenom="Léa",
    naissance="14/03/2008",
    uai=UAI_1,
    statut="scolaire_public",
    forme="globale",
    lv1="en",
    lv2="es",
    facultatives="",
) -> str:
    return ";".join([numero, nom, prenom, naissance, uai, statut, forme, lv1, lv2, facultatives])


UNITES = ["U11", "U12", "U2", "U31", "U32", "U33", "U41", "U42", "U51", "U52", "U6", "U7"]


def lignes_notes(numero: str, notes: list[str], groupe: str | None = None) -> list[str]:
    return [f"{numero};{u};{n}" + (f";{groupe}" if groupe else "") for u, n in zip(UNITES, notes, strict=True)]
