"""Lectures du référentiel : la version courante, l'arbre complet, la recherche plein texte."""

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import Prefetch

from referentiel.models import Activite, Bloc, Competence, Indicateur, Pole, Referentiel, Savoir, Unite

CONFIG = "agora_fr"  # configuration française insensible aux accents (migration 0001)


def version(code: str | None = None) -> Referentiel | None:
    qs = Referentiel.objects.all()
    return qs.filter(code=code).first() if code else qs.order_by("-premiere_session", "-code").first()


def poles_complets(ref: Referentiel):
    activites = Activite.objects.select_related("bloc").prefetch_related("taches", "competences", "indicateurs")
    return Pole.objects.filter(referentiel=ref).prefetch_related(Prefetch("activites", activites))


def blocs_complets(ref: Referentiel):
    return Bloc.objects.filter(referentiel=ref).prefetch_related(
        Prefetch("competences", Competence.objects.order_by("ordre")),
        "savoirs",
        Prefetch("unites", Unite.objects.order_by("ordre")),
        Prefetch("activites", Activite.objects.order_by("code")),
    )


def rechercher(ref: Referentiel, texte: str, limite: int = 50) -> dict[str, list]:
    """Compétences, indicateurs et savoirs dont le texte correspond, les plus pertinents d'abord."""
    requete = SearchQuery(texte, config=CONFIG, search_type="websearch")

    def chercher(qs, *champs):
        vecteur = SearchVector(*champs, config=CONFIG)
        return list(qs.annotate(rang=SearchRank(vecteur, requete)).filter(rang__gt=0).order_by("-rang")[:limite])

    return {
        "competences": chercher(
            Competence.objects.filter(bloc__referentiel=ref).select_related("bloc", "activite"), "intitule"
        ),
        "indicateurs": chercher(
            Indicateur.objects.filter(activite__pole__referentiel=ref).select_related("activite"), "intitule"
        ),
        "savoirs": chercher(
            Savoir.objects.filter(bloc__referentiel=ref).select_related("bloc"), "intitule", "indications"
        ),
    }


def document(ref: Referentiel) -> dict:
    """Le référentiel en un document JSON (format de `exporter_referentiel` et de /referentiel/<code>.json)."""
    poles = [
        {
            "numero": p.numero,
            "intitule": p.intitule,
            "activites": [
                {
                    "code": a.code,
                    "intitule": a.intitule,
                    "taches": [t.intitule for t in a.taches.all()],
                    "competences": [c.intitule for c in a.competences.all()],
                    "indicateurs": [i.intitule for i in a.indicateurs.all()],
                }
                for a in p.activites.all()
            ],
        }
        for p in poles_complets(ref)
    ]
    blocs = [
        {
            "code": b.code,
            "intitule": b.intitule,
            "type": b.type,
            "competences": [c.intitule for c in b.competences.all()],
            "unites": [u.code for u in b.unites.all()],
        }
        for b in blocs_complets(ref)
    ]
    unites = [{"code": u.code, "intitule": u.intitule} for u in Unite.objects.filter(referentiel=ref)]
    return {"code": ref.code, "intitule": ref.intitule, "poles": poles, "blocs": blocs, "unites": unites}
