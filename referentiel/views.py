from functools import wraps

from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render

from referentiel import selectors
from referentiel.models import Activite, Competence, Referentiel

# Le texte de l'arrêté est stocké tel quel, guillemets suivis ou précédés d'une espace ordinaire : à l'affichage,
# une espace insécable les lie au mot, sinon « » peut se retrouver seul en début ou en fin de ligne.
INSECABLES = (("« ", "«\u00a0"), (" »", "\u00a0»"))


def typographie(vue):
    @wraps(vue)
    def vue_typographiee(request, *args, **kwargs):
        reponse = vue(request, *args, **kwargs)
        if not reponse.streaming and reponse.get("Content-Type", "").startswith("text/html"):
            html = reponse.content.decode(reponse.charset)
            for espace, insecable in INSECABLES:
                html = html.replace(espace, insecable)
            reponse.content = html.encode(reponse.charset)
        return reponse

    return vue_typographiee


def _version(code: str) -> Referentiel:
    return get_object_or_404(Referentiel, code=code)


def index(request):
    ref = selectors.version()
    if ref is None:
        raise Http404("Aucun référentiel chargé : lancez manage.py charger_referentiel.")
    return redirect("referentiel:poles", code=ref.code)


def export_json(request, code):
    document = selectors.document(_version(code))
    return JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 1})


@typographie
def poles(request, code):
    ref = _version(code)
    return render(request, "referentiel/poles.html", {"ref": ref, "poles": selectors.poles_complets(ref)})


@typographie
def activite(request, code, activite):
    ref = _version(code)
    act = get_object_or_404(
        Activite.objects.select_related("pole", "bloc").prefetch_related("taches", "competences", "indicateurs"),
        pole__referentiel=ref,
        code=activite,
    )
    return render(request, "referentiel/activite.html", {"ref": ref, "activite": act})


@typographie
def blocs(request, code):
    ref = _version(code)
    return render(request, "referentiel/blocs.html", {"ref": ref, "blocs": selectors.blocs_complets(ref)})


@typographie
def competence(request, code, pk):
    ref = _version(code)
    comp = get_object_or_404(
        Competence.objects.select_related("bloc", "activite").prefetch_related("bloc__unites"),
        bloc__referentiel=ref,
        pk=pk,
    )
    return render(
        request, "referentiel/competence.html", {"ref": ref, "competence": comp, "unites": comp.bloc.unites.all()}
    )


@typographie
def recherche(request):
    ref = selectors.version(request.GET.get("version") or None)
    if ref is None:
        raise Http404("Aucun référentiel chargé.")
    texte = request.GET.get("q", "").strip()[:200]
    resultats = selectors.rechercher(ref, texte) if texte else None
    return render(request, "referentiel/recherche.html", {"ref": ref, "q": texte, "resultats": resultats})
