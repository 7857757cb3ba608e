"""La page d'accueil de chaque rôle : ce que l'utilisateur a à faire dans les examens."""

from django.db.models import Count, Q
from django.shortcuts import render

from agora.roles import ADMINISTRATEUR, ENSEIGNANT, GESTIONNAIRE, role_de
from examens.models import Commission, Division, Etablissement, Session
from examens.views_grilles import ma_liste


def accueil(request):
    """Page d'accueil propre à chaque rôle."""
    role = role_de(request.user)
    contexte = {"role": role}
    if role == ENSEIGNANT:
        contexte["divisions"] = (
            Division.objects.filter(enseignants=request.user)
            .select_related("etablissement", "session")
            .annotate(nb_candidats=Count("candidats"))
        )
        # La liste de travail de chaque commission où il siège (y compris sans division : second membre, professionnel).
        contexte["commissions"] = [
            (c, ma_liste(c, request.user))
            for c in Commission.objects.filter(membres_commission__utilisateur=request.user)
            .select_related("session__reglement", "gabarit", "etablissement")
            .order_by("-session__annee", "gabarit__epreuve", "nom")
        ]
    elif role in (GESTIONNAIRE, ADMINISTRATEUR):
        perimetre = Q() if role == ADMINISTRATEUR else Q(candidats__etablissement__gestionnaires=request.user)
        contexte["sessions"] = Session.objects.annotate(nb_candidats=Count("candidats", filter=perimetre))
        contexte["etablissements"] = (
            Etablissement.objects.all() if role == ADMINISTRATEUR else request.user.etablissements_geres.all()
        )
    return render(request, f"accueil_{role or 'sans_role'}.html", contexte)
