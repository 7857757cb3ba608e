"""Lectures du référentiel : la version courante, l'arbre complet, la recherche plein texte."""

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.db.models import Prefetch
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from referentiel.models import Activite, Bloc, Competence, Indicateur, Pole, Referentiel, Savoir, Tache, Unite

CONFIG = "agora_fr"  # configuration française insensible aux accents (migration 0001)
# Délimiteurs des mots trouvés renvoyés par ts_headline : des caractères de contrôle absents du texte de
# l'arrêté, pour échapper le texte puis seulement ensuite poser les <mark>.
DEBUT, FIN = "\x02", "\x03"


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
    """Tâches, compétences, indicateurs et savoirs dont le texte correspond, les plus pertinents d'abord.

    Les tâches comptent : c'est souvent par elles qu'un enseignant cherche (« recrutement » trouve la tâche
    « Suivi administratif du recrutement… » de l'activité 3.1, qu'aucune compétence ne nomme ainsi).

    Le filtre est la correspondance `@@` et non `rang > 0` : ts_rank donne 1e-20 à un texte qui ne contient
    qu'une partie des mots demandés, et 0 à un texte qui répond à une requête négative (« -tva »).
    À pertinence égale, l'ordre de l'arrêté.
    """
    requete = SearchQuery(texte, config=CONFIG, search_type="websearch")

    def surligner(champ, **options):
        return SearchHeadline(champ, requete, config=CONFIG, start_sel=DEBUT, stop_sel=FIN, **options)

    def chercher(qs, champs, ordre):
        vecteur = SearchVector(*champs, config=CONFIG)
        qs = qs.annotate(vecteur=vecteur, rang=SearchRank(vecteur, requete)).filter(vecteur=requete)
        qs = qs.annotate(intitule_surligne=surligner("intitule", highlight_all=True))
        if "indications" in champs:
            # Les indications complémentaires d'une famille de savoirs sont portées par son premier savoir :
            # on montre le passage trouvé, sinon le résultat ne dirait pas pourquoi il est là.
            qs = qs.annotate(
                indications_extrait=surligner(
                    "indications", max_words=30, min_words=12, max_fragments=2, fragment_delimiter=" … "
                )
            )
        resultats = list(qs.order_by("-rang", *ordre)[:limite])
        for r in resultats:
            r.intitule_surligne = _marquer(r.intitule_surligne)
            if "indications" in champs:
                extrait = r.indications_extrait
                r.indications_extrait = _marquer(extrait) if DEBUT in extrait else ""
        return resultats

    return {
        "taches": chercher(
            Tache.objects.filter(activite__pole__referentiel=ref).select_related("activite"),
            ["intitule"],
            ["activite__code", "ordre"],
        ),
        "competences": chercher(
            Competence.objects.filter(bloc__referentiel=ref).select_related("bloc", "activite"),
            ["intitule"],
            ["bloc__ordre", "ordre"],
        ),
        "indicateurs": chercher(
            Indicateur.objects.filter(activite__pole__referentiel=ref).select_related("activite"),
            ["intitule"],
            ["activite__code", "ordre"],
        ),
        "savoirs": chercher(
            Savoir.objects.filter(bloc__referentiel=ref).select_related("bloc"),
            ["intitule", "indications"],
            ["bloc__ordre", "ordre"],
        ),
    }


def _marquer(texte: str) -> SafeString:
    return mark_safe(escape(texte).replace(DEBUT, "<mark>").replace(FIN, "</mark>"))


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
