"""Pages des jurys : la liste d'une session, la composition, et les actes du jury (verrouiller, déverrouiller,
valider le procès-verbal). La délibération d'un jury est la page de délibération filtrée par `?jury=`."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from examens import perimetre
from examens.jurys import services
from examens.jurys.forms import JuryForm
from examens.jurys.regles_acces import peut, peut_creer_jury
from examens.models import Candidat, EtablissementJury, Jury, Session
from examens.services import OperationRefusee, ResultatsAChanger


def _session(annee: int) -> Session:
    return get_object_or_404(Session.objects.select_related("reglement"), annee=annee)


def jury_visible(request, pk: int) -> Jury:
    """404 hors du périmètre : un jury d'une autre académie ne se révèle pas."""
    return get_object_or_404(
        perimetre.jurys_visibles(request.user).select_related("session", "president", "pv_valide_par"), pk=pk
    )


def jury_demande(request, session: Session) -> Jury | None:
    """Le jury choisi par `?jury=` (404 s'il n'est pas visible), ou le seul jury d'un juré qui n'en a qu'un."""
    valeur = request.GET.get("jury", "")
    if valeur.isdecimal() and len(valeur) <= 18:
        # Un jury d'une autre session ne se substitue pas à celui de la page : 404.
        return get_object_or_404(perimetre.jurys_visibles(request.user).filter(session=session), pk=int(valeur))
    if not perimetre.voit_tout(request.user) and not request.user.has_perm("examens.gerer_jurys"):
        siens = list(perimetre.jurys_de(request.user).filter(session=session)[:2])
        if len(siens) == 1:
            return siens[0]
    return None


@permission_required("examens.deliberer", raise_exception=True)
def jurys(request, annee):
    session = _session(annee)
    liste = list(
        perimetre.jurys_visibles(request.user)
        .filter(session=session)
        .select_related("president", "pv_valide_par")
        .prefetch_related("membres", "etablissements")
        .order_by("nom")
    )
    # Effectif et admis de chaque jury en une requête : chaque candidat porte le jury de son établissement.
    jury_du_candidat = EtablissementJury.objects.filter(
        session_id=OuterRef("session_id"), etablissement_id=OuterRef("etablissement_id")
    ).values("jury_id")[:1]
    effectifs = {
        ligne["jury"]: ligne
        for ligne in Candidat.objects.filter(session=session)
        .annotate(jury=Subquery(jury_du_candidat))
        .filter(jury__in=[j.pk for j in liste])
        .values("jury")
        .annotate(n=Count("pk"), admis=Count("pk", filter=Q(resultat__decision="admis")))
    }
    sans_jury = None
    if request.user.has_perm("examens.gerer_jurys"):
        sans_jury = (
            perimetre.etablissements_organisables(request.user)
            .filter(candidats__session=session)
            .exclude(pk__in=EtablissementJury.objects.filter(session=session).values("etablissement_id"))
            .distinct()
        )
    return render(
        request,
        "examens/jurys/liste.html",
        {
            "session": session,
            "jurys": [(j, effectifs.get(j.pk, {"n": 0, "admis": 0})) for j in liste],
            "sans_jury": sans_jury,
            "peut_creer": peut_creer_jury(request.user),
        },
    )


def _formulaire(request, session: Session, jury: Jury | None):
    initial = {}
    if jury is not None:
        initial = {
            "nom": jury.nom,
            "president": jury.president,
            "membres": list(jury.membres.all()),
            "etablissements": list(jury.etablissements.all()),
        }
    form = JuryForm(request.POST or None, auteur=request.user, session=session, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            jury = services.enregistrer_jury(
                session=session,
                jury=jury,
                auteur=request.user,
                **{k: form.cleaned_data[k] for k in ("nom", "president", "membres", "etablissements")},
            )
        except OperationRefusee as e:
            champ = getattr(e, "champ", "")
            form.add_error(champ if champ in form.fields else None, str(e))
        else:
            messages.success(request, f"Jury {jury.nom} enregistré.")
            return redirect("examens:jurys", annee=session.annee)
    return render(request, "examens/jurys/formulaire.html", {"session": session, "jury": jury, "form": form})


@permission_required("examens.gerer_jurys", raise_exception=True)
def jury_creer(request, annee):
    if not peut_creer_jury(request.user):
        raise PermissionDenied("Aucun établissement de votre académie à rattacher à un jury.")
    return _formulaire(request, _session(annee), None)


@permission_required("examens.gerer_jurys", raise_exception=True)
def jury_modifier(request, pk):
    jury = jury_visible(request, pk)
    if not peut(request.user, "organiser", jury):
        raise PermissionDenied(f"Jury {jury.nom} : {perimetre.HORS_PERIMETRE}.")
    return _formulaire(request, jury.session, jury)


def _salle(jury: Jury) -> str:
    return f"{reverse('examens:deliberation', args=[jury.session.annee])}?jury={jury.pk}"


@require_POST
@permission_required("examens.verrouiller", raise_exception=True)
def jury_verrouiller(request, pk):
    jury = jury_visible(request, pk)
    try:
        services.verrouiller_jury(jury=jury, auteur=request.user, confirmation=request.POST.get("confirmation", ""))
    except ResultatsAChanger as e:
        return render(
            request,
            "examens/verrouiller_confirmer.html",
            {
                "session": jury.session,
                "jury": jury,
                "differences": e.differences,
                "jeton": e.jeton,
                "message": str(e),
                "action": reverse("examens:jury-verrouiller", args=[jury.pk]),
            },
        )
    except OperationRefusee as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"Délibération du jury {jury.nom} verrouillée : ses notes ne peuvent plus changer.")
    return redirect(_salle(jury))


@require_POST
@permission_required("examens.deliberer", raise_exception=True)
def jury_deverrouiller(request, pk):
    jury = jury_visible(request, pk)
    try:
        services.deverrouiller_jury(jury=jury, auteur=request.user, motif=request.POST.get("motif", "")[:500])
    except OperationRefusee as e:
        messages.error(request, str(e))
    else:
        messages.warning(request, f"Jury {jury.nom} déverrouillé. Le motif est enregistré au journal.")
    return redirect(_salle(jury))


@require_POST
@permission_required("examens.deliberer", raise_exception=True)
def jury_valider_pv(request, pk):
    jury = jury_visible(request, pk)
    try:
        services.valider_proces_verbal(jury=jury, auteur=request.user)
    except OperationRefusee as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"Procès-verbal du jury {jury.nom} validé.")
    url = reverse("examens:proces-verbal", args=[jury.session.annee])
    return redirect(f"{url}?jury={jury.pk}")


def contexte_jury(request, jury: Jury | None) -> dict:
    """Ce que les pages de délibération et de procès-verbal montrent d'un jury, et les actes permis."""
    if jury is None:
        return {"jury": None}
    return {
        "jury": jury,
        "jury_membres": list(jury.membres.all()),
        "jury_etablissements": list(jury.etablissements.all()),
        "jury_peut": {a: peut(request.user, a, jury) for a in ("verrouiller", "deverrouiller", "valider_pv")},
    }
