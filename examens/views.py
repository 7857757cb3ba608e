from django.contrib.auth.decorators import permission_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render

from examens.models import Candidat, Division, Session


@permission_required("examens.view_session", raise_exception=True)
def sessions(request):
    perimetre = (
        Q() if request.user.has_perm("examens.voir_tout") else Q(candidats__etablissement__gestionnaires=request.user)
    )
    liste = Session.objects.annotate(nb_candidats=Count("candidats", filter=perimetre))
    return render(request, "examens/sessions.html", {"sessions": liste})


@permission_required("examens.view_session", raise_exception=True)
def session(request, annee):
    session = get_object_or_404(Session, annee=annee)
    candidats = (
        Candidat.objects.visibles_par(request.user).de_session(session).select_related("etablissement", "division")
    )
    return render(request, "examens/session.html", {"session": session, "candidats": candidats})


@permission_required("examens.view_candidat", raise_exception=True)
def division(request, pk):
    visibles = Candidat.objects.visibles_par(request.user)
    division = get_object_or_404(Division.objects.filter(candidats__in=visibles).distinct(), pk=pk)
    candidats = visibles.filter(division=division).select_related("etablissement")
    return render(request, "examens/division.html", {"division": division, "candidats": candidats})
