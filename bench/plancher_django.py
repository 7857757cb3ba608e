"""Le plancher Django de la partie `enregistrement` du banc (issue #23) : nos réglages et nos intergiciels (session
en base, compte et permissions, CSRF, axes…), et une seule vue qui fait les écritures de l'enregistrement
automatique par le curseur de Django (bench/plancher_enregistrement.ecrire). Module de réglages et d'adresses à la
fois : DJANGO_SETTINGS_MODULE=bench.plancher_django, servi par gunicorn agora.wsgi comme l'application."""

from django.contrib.auth.decorators import permission_required
from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.urls import path
from django.views.decorators.http import require_POST

from agora.settings import *  # noqa: F403
from bench.plancher_enregistrement import PAGE, ecrire

ROOT_URLCONF = __name__


def page(request, commission, candidat, situation):
    get_token(request)  # le cookie CSRF, comme la page de grille
    return HttpResponse(PAGE)


@require_POST
@permission_required("examens.view_candidat", raise_exception=True)
def enregistrer(request, commission, candidat, situation):
    with transaction.atomic(), connection.cursor() as curseur:
        version = ecrire(
            curseur,
            commission=commission,
            candidat=candidat,
            situation=situation,
            cle=request.POST.get("cle", ""),
            valeur=request.POST.get("valeur", ""),
        )
    if version is None:
        return JsonResponse({"erreur": "grille"}, status=404)
    return JsonResponse({"version": version})


_GRILLE = "examens/grilles/commissions/<int:commission>/candidats/<int:candidat>/situations/<int:situation>/"


def __getattr__(nom):
    """Les adresses, lues par Django après son démarrage : ce module est d'abord lu comme réglages, avant que les
    modèles de l'application (importés par agora.urls) ne puissent l'être. Les deux du plancher en tête, devant
    celles de l'application (la connexion, vers laquelle renvoie LoginRequiredMiddleware)."""
    if nom != "urlpatterns":
        raise AttributeError(nom)
    from agora import urls

    return [path(_GRILLE, page), path(_GRILLE + "enregistrer/", enregistrer), *urls.urlpatterns]
