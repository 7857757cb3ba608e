"""La page d'accueil de chaque rôle : ce que l'utilisateur a à faire dans les examens."""

from django.db.models import Count, Q
from django.shortcuts import render

from agora.roles import ACADEMIE, ADMINISTRATEUR, COMMISSION, ENSEIGNANT, GESTIONNAIRE, JURY, role_de
from examens import perimetre
from examens.ccf.views import ma_liste
from examens.models import Commission, Division, Session


def accueil(request):
    """Page d'accueil propre à chaque rôle."""
    role = role_de(request.user)
    contexte = {"role": role}
    gabarit = role or "sans_role"
    if role in (ENSEIGNANT, COMMISSION):
        gabarit = ENSEIGNANT
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
    elif role in (GESTIONNAIRE, ACADEMIE, ADMINISTRATEUR):
        # Gestionnaire d'établissement ou académique : les établissements qu'il gère, directement ou par ses académies.
        etablissements = perimetre.etablissements_ecrivables(request.user)
        filtre = Q() if role == ADMINISTRATEUR else Q(candidats__etablissement__in=etablissements)
        contexte["sessions"] = Session.objects.annotate(nb_candidats=Count("candidats", filter=filtre))
        contexte["etablissements"] = etablissements.select_related("academie")
        gabarit = ADMINISTRATEUR if role == ADMINISTRATEUR else GESTIONNAIRE
    elif role == JURY:
        contexte["jurys"] = (
            perimetre.jurys_de(request.user)
            .select_related("session", "president")
            .prefetch_related("etablissements")
            .order_by("-session__annee", "nom")
        )
    return render(request, f"accueil_{gabarit}.html", contexte)
