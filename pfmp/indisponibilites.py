"""Les périodes de PFMP d'un ensemble de candidats, pour le planificateur des CCF (examens.organisation)."""

from pfmp.models import Periode


def periodes_pfmp(candidat_ids, debut, fin) -> dict[int, list]:
    resultat: dict[int, list] = {}
    for cle, d, f in Periode.objects.filter(
        convention__candidat_id__in=list(candidat_ids), date_debut__lte=fin, date_fin__gte=debut
    ).values_list("convention__candidat_id", "date_debut", "date_fin"):
        resultat.setdefault(cle, []).append((d, f, "PFMP"))
    return resultat
