"""Salle du jury (issue #17, partie 4) : simulateur d'un candidat, trace de son calcul et harmonisation des notes de
CCF.

Même droit que la page de délibération (`examens.deliberer`) et même périmètre de candidats
(`perimetre.candidats_visibles`, par `Candidat.objects.visibles_par`) : un candidat hors du périmètre donne 404.
"""

from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, render

from examens import selectors
from examens.views import _perimetre, _perimetre_jury, _session


@permission_required("examens.deliberer", raise_exception=True)
def simulateur(request, annee, pk):
    session = _session(annee)
    candidat = get_object_or_404(_perimetre(request, session).select_related("etablissement", "division"), pk=pk)
    return render(
        request,
        "examens/simulateur.html",
        {"session": session, "c": candidat, **selectors.simulation(candidat, session)},
    )


@permission_required("examens.deliberer", raise_exception=True)
def trace(request, annee, pk):
    """La trace du calcul d'un candidat, que la page de délibération demande quand le jury la déplie (un fragment)."""
    candidat = get_object_or_404(_perimetre(request, _session(annee)), pk=pk)
    return render(request, "examens/_trace.html", {"trace": selectors.trace_lue(candidat)})


@permission_required("examens.deliberer", raise_exception=True)
def harmonisation(request, annee):
    session = _session(annee)
    # Les filtres de la délibération (établissement, division…) restreignent aussi les graphiques.
    base, jury = _perimetre_jury(request, session)  # et le jury demandé (`?jury=`), ou le seul d'un juré
    candidats, actifs = selectors.filtrer_candidats(base, request.GET)
    return render(
        request,
        "examens/harmonisation.html",
        {
            "session": session,
            "unites": selectors.harmonisation(candidats, session),
            "ecart_signale": selectors.ECART_SIGNALE,
            "min_notes": selectors.MIN_NOTES_SIGNALEMENT,
            "actifs": actifs,
            "jury": jury,
        },
    )
