"""Documents PDF : téléchargements depuis les pages (grille, relevé, procès-verbal), documents émis, exports.

Permission manquante : 403 ; ligne hors du périmètre : 404. Le rendu d'un document seul (une grille, un
relevé, un procès-verbal de taille raisonnable) tient dans la requête ; les lots passent par les workers.
"""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from agora import pdf
from agora.format import pluriel
from examens import services
from examens.ccf import lectures
from examens.documents import emission, impression, lots
from examens.jurys.views import jury_demande
from examens.models import Candidat, Commission, Division, DocumentEmis, ExportLot, Grille, Resultat, Session
from examens.services import OperationRefusee


def _pdf(contenu: bytes, nom: str, *, telecharger: bool = True) -> HttpResponse:
    reponse = HttpResponse(contenu, content_type="application/pdf")
    reponse["Content-Disposition"] = f'{"attachment" if telecharger else "inline"}; filename="{nom}"'
    reponse["Cache-Control"] = "private, no-store"
    return reponse


def _session(annee: int) -> Session:
    return get_object_or_404(Session.objects.select_related("reglement__referentiel"), annee=annee)


def _candidat(request, pk: int) -> Candidat:
    return get_object_or_404(impression.candidats_a_imprimer(Candidat.objects.visibles_par(request.user)), pk=pk)


# ---------------------------------------------------------------------------------------------------
# Grille d'un candidat
# ---------------------------------------------------------------------------------------------------


@permission_required("examens.view_candidat", raise_exception=True)
def grille_pdf(request, pk, candidat, situation):
    """La grille telle qu'à l'écran, en PDF (même visibilité que la page de la grille)."""
    commission = get_object_or_404(Commission.objects.visibles_par(request.user).select_related("gabarit"), pk=pk)
    if not 1 <= situation <= commission.gabarit.situations:
        raise Http404("Situation inconnue pour cette épreuve.")
    cand = get_object_or_404(lectures.candidats_de_commission(commission), pk=candidat)
    existante = lectures.grille_existante(cand, commission.gabarit.epreuve, situation)
    if existante is None or existante.commission_id != commission.pk:
        raise Http404("Grille pas encore commencée.")
    g = impression.grilles_a_rendre(Grille.objects.filter(pk=existante.pk)).get()
    donnees = impression.donnees_grilles([g])[0]
    rendu = pdf.rendre_document("grille", donnees)
    return _pdf(rendu.contenu, impression.nom_fichier_grille(donnees, avec_dossier=False))


# ---------------------------------------------------------------------------------------------------
# Relevé de notes et procès-verbal : provisoire avant le verrouillage, émis (conservé) après
# ---------------------------------------------------------------------------------------------------


@permission_required("examens.exporter", raise_exception=True)
def releve_pdf(request, pk):
    c = _candidat(request, pk)
    if not services.deliberation_verrouillee(c):
        rendu = pdf.rendre_document("releve", impression.donnees_releve(c, arrete=False))
        return _pdf(rendu.contenu, f"releve-{c.numero}-provisoire.pdf")
    emis = emission.dernier_emis(DocumentEmis.Type.RELEVE, c.session.annee, c.numero)
    if emis is None:
        messages.info(request, "Le relevé n'est pas encore émis : émettez-le pour le télécharger.")
        return redirect("examens:releve-documents", pk=c.pk)
    return redirect("examens:document-pdf", pk=emis.pk)


@permission_required("examens.exporter", raise_exception=True)
def releve_documents(request, pk):
    c = _candidat(request, pk)
    erreur = ""
    if request.method == "POST":
        erreur = _emettre_ou_corriger(
            request,
            emettre=lambda: emission.emettre_releve(candidat=c, auteur=request.user),
            type_document=DocumentEmis.Type.RELEVE,
            annee=c.session.annee,
            objet=c.numero,
        )
        if not erreur:
            return redirect("examens:releve-documents", pk=c.pk)
    jury = c.session.jurys.filter(etablissementjury__etablissement_id=c.etablissement_id).first()
    return _page_documents(
        request,
        erreur_motif=erreur,
        type_document=DocumentEmis.Type.RELEVE,
        session=c.session,
        objet=c.numero,
        arrete=services.deliberation_verrouillee(c),
        portee_verrou=f"du jury {jury.nom}" if jury else f"de la session {c.session.annee}",
        contexte={
            "c": c,
            "titre": f"Relevé de notes de {c.nom} {c.prenom}",
            "url_pdf": reverse("examens:releve-pdf", args=[c.pk]),
            "url_retour": reverse("examens:releve", args=[c.pk]),
            "libelle_retour": "Relevé de notes",
        },
    )


def _nombre_lignes_pv(perimetre: impression.PerimetrePV) -> int:
    return Resultat.objects.filter(candidat__in=perimetre.candidats).count()


def _pv_du_demandeur(request, session: Session) -> tuple[impression.PerimetrePV, bool, str, str]:
    """Le procès-verbal demandé (`?jury=`, ou le jury d'un juré), s'il est arrêté, sa portée, et la requête à
    garder dans les liens. Le PV d'un jury est toujours rendu ici : le lot par worker porte sur un périmètre
    d'établissements, et un jury dépasse rarement quelques milliers de candidats."""
    jury = jury_demande(request, session)
    perimetre = impression.perimetre_pv(request.user, session, jury)
    if jury is not None:
        return perimetre, session.verrouillee or jury.verrouille, f"du jury {jury.nom}", f"?jury={jury.pk}"
    return perimetre, session.verrouillee, f"de la session {session.annee}", ""


@permission_required("examens.exporter", raise_exception=True)
def proces_verbal_pdf(request, annee):
    session = _session(annee)
    perimetre, arrete, _, requete = _pv_du_demandeur(request, session)
    if arrete:
        emis = emission.dernier_emis(DocumentEmis.Type.PROCES_VERBAL, annee, perimetre.objet)
        if emis is None:
            messages.info(request, "Le procès-verbal n'est pas encore émis : émettez-le pour le télécharger.")
            return redirect(reverse("examens:proces-verbal-documents", args=[annee]) + requete)
        return redirect("examens:document-pdf", pk=emis.pk)
    if perimetre.jury is None and _nombre_lignes_pv(perimetre) > lots.PV_SYNCHRONE_MAX:
        messages.info(
            request,
            f"Plus de {lots.PV_SYNCHRONE_MAX} lignes : le procès-verbal est rendu par un worker. Lancez l'export.",
        )
        return redirect(reverse("examens:exports", args=[annee]) + "?type=pv")
    rendu = pdf.rendre_document("pv", {**impression.donnees_pv(session, perimetre), "objet": perimetre.objet})
    return _pdf(rendu.contenu, f"proces-verbal-{annee}-provisoire.pdf")


@permission_required("examens.exporter", raise_exception=True)
def proces_verbal_documents(request, annee):
    session = _session(annee)
    perimetre, arrete, portee, requete = _pv_du_demandeur(request, session)
    erreur = ""
    if request.method == "POST":
        if (
            request.POST.get("action") == "emettre"
            and perimetre.jury is None
            and session.verrouillee
            and not emission.dernier_emis(DocumentEmis.Type.PROCES_VERBAL, annee, perimetre.objet)
            and _nombre_lignes_pv(perimetre) > lots.PV_SYNCHRONE_MAX
        ):
            return _export_pv(request, session)  # long : émis par un worker
        erreur = _emettre_ou_corriger(
            request,
            emettre=lambda: emission.emettre_pv(session=session, auteur=request.user, jury=perimetre.jury),
            type_document=DocumentEmis.Type.PROCES_VERBAL,
            annee=annee,
            objet=perimetre.objet,
        )
        if not erreur:
            return redirect(reverse("examens:proces-verbal-documents", args=[annee]) + requete)
    return _page_documents(
        request,
        erreur_motif=erreur,
        type_document=DocumentEmis.Type.PROCES_VERBAL,
        session=session,
        objet=perimetre.objet,
        arrete=arrete,
        portee_verrou=portee,
        contexte={
            "titre": f"Procès-verbal de délibération, session {annee}",
            "perimetre": perimetre.libelle,
            "url_pdf": reverse("examens:proces-verbal-pdf", args=[annee]) + requete,
            "url_retour": reverse("examens:proces-verbal", args=[annee]) + requete,
            "libelle_retour": "Procès-verbal",
        },
    )


def _export_pv(request, session: Session):
    try:
        lot = lots.creer_export(session=session, type_lot=ExportLot.Type.PROCES_VERBAL, auteur=request.user)
    except OperationRefusee as e:
        messages.error(request, str(e))
        return redirect("examens:proces-verbal-documents", annee=session.annee)
    return redirect("examens:export", pk=lot.pk)


def _emettre_ou_corriger(request, *, emettre, type_document: str, annee: int, objet: str) -> str:
    """Émission ou version corrigée ; renvoie l'erreur à montrer à côté du motif (correction refusée), sinon ""."""
    action = request.POST.get("action", "")
    if action == "emettre":
        try:
            document, cree = emettre()
        except OperationRefusee as e:
            messages.error(request, str(e))
        else:
            if cree:
                messages.success(request, f"Document {document.reference} émis et conservé.")
            else:
                messages.info(request, f"Déjà émis : {document.reference} (il n'est jamais rendu à nouveau).")
        return ""
    if action != "corriger":
        messages.error(request, "Action inconnue.")
        return ""
    if not request.user.has_perm("examens.deliberer"):
        raise PermissionDenied("Seul le jury (permission de délibérer) émet une version corrigée.")
    precedent = emission.dernier_emis(type_document, annee, objet)
    if precedent is None:
        messages.error(request, "Aucun document émis à corriger.")
        return ""
    try:
        document = emission.corriger(document=precedent, auteur=request.user, motif=request.POST.get("motif", ""))
    except OperationRefusee as e:
        return str(e)
    messages.success(request, f"Version corrigée {document.reference} émise ; elle remplace {precedent.reference}.")
    return ""


def _page_documents(
    request,
    *,
    type_document: str,
    session: Session,
    objet: str,
    contexte: dict,
    arrete: bool,
    portee_verrou: str,
    erreur_motif: str = "",
):
    """`arrete` : la délibération du document est verrouillée (session, ou jury du candidat ou du PV)."""
    versions = list(emission.documents_emis(type_document, session.annee, objet).order_by("-version"))
    return render(
        request,
        "examens/documents/emis.html",
        {
            **contexte,
            "session": session,
            "versions": versions,
            "derniere": versions[0] if versions else None,
            "peut_corriger": request.user.has_perm("examens.deliberer"),
            "arrete": arrete,
            "portee_verrou": portee_verrou,
            "erreur_motif": erreur_motif,
            "motif": request.POST.get("motif", "") if erreur_motif else "",
        },
        status=400 if erreur_motif else 200,
    )


@permission_required("examens.exporter", raise_exception=True)
def document_pdf(request, pk):
    document = get_object_or_404(DocumentEmis.objects.defer("contenu"), pk=pk)
    if not emission.document_visible(request.user, document):
        raise Http404
    return _pdf(bytes(document.contenu), f"{document.reference}.pdf")


# ---------------------------------------------------------------------------------------------------
# Exports par lots
# ---------------------------------------------------------------------------------------------------


def _divisions(request, session: Session):
    visibles = Candidat.objects.visibles_par(request.user).de_session(session)
    return Division.objects.filter(session=session, candidats__in=visibles).distinct().select_related("etablissement")


@permission_required("examens.exporter", raise_exception=True)
def exports(request, annee):
    session = _session(annee)
    divisions = list(_divisions(request, session))
    epreuves = lots.epreuves_a_grille(session)
    erreurs, saisie = {}, {}
    if request.method == "POST":
        saisie = {k: request.POST.get(k, "") for k in ("type", "division", "epreuve")}
        saisie["fusionner"] = bool(request.POST.get("fusionner"))
        division = None
        if saisie["type"] not in ExportLot.Type.values:
            erreurs["type"] = "Choisissez le type de documents."
        if saisie["division"]:
            division = next((d for d in divisions if str(d.pk) == saisie["division"]), None)
            if division is None:
                erreurs["division"] = "Division inconnue."
        if saisie["epreuve"] and saisie["epreuve"] not in epreuves:
            erreurs["epreuve"] = "Épreuve inconnue."
        if not erreurs:
            try:
                lot = lots.creer_export(
                    session=session,
                    type_lot=saisie["type"],
                    auteur=request.user,
                    division=division,
                    epreuve=saisie["epreuve"],
                    fusionner=saisie["fusionner"],
                )
            except OperationRefusee as e:
                erreurs["general"] = str(e)
            else:
                messages.success(request, f"Export n° {lot.pk} demandé : {pluriel(lot.total, 'document')} à rendre.")
                return redirect("examens:export", pk=lot.pk)
    else:
        saisie = {
            "type": request.GET.get("type", ExportLot.Type.GRILLES),
            "division": request.GET.get("division", ""),
            "epreuve": request.GET.get("epreuve", ""),
            "fusionner": False,
        }
    visibles = lots.lots_visibles(request.user).filter(session=session)[:30]
    return render(
        request,
        "examens/documents/exports.html",
        {
            "session": session,
            "divisions": divisions,
            "epreuves": epreuves,
            "types": ExportLot.Type.choices,
            "saisie": saisie,
            "erreurs": erreurs,
            "lots": visibles,
            "fusion_max": lots.FUSION_MAX_DOCUMENTS,
            "nb_grilles": Grille.objects.filter(
                candidat__in=Candidat.objects.visibles_par(request.user).de_session(session)
            )
            .values("epreuve")
            .annotate(n=Count("id"), transmises=Count("id", filter=Q(etat__in=["transmise", "arretee"])))
            .order_by("epreuve"),
        },
        status=400 if erreurs else 200,
    )


def _lot(request, pk: int) -> ExportLot:
    return get_object_or_404(lots.lots_visibles(request.user), pk=pk)


@permission_required("examens.exporter", raise_exception=True)
def export(request, pk):
    lot = _lot(request, pk)
    gabarit = "examens/documents/_etat_export.html" if request.htmx else "examens/documents/export.html"
    return render(request, gabarit, {"lot": lot, "session": lot.session})


@permission_required("examens.exporter", raise_exception=True)
def export_zip(request, pk):
    lot = _lot(request, pk)
    if not lot.fini or lot.faits == lot.echecs:
        raise Http404("Export pas encore terminé.")
    reponse = StreamingHttpResponse(lots.flux_zip(lot), content_type="application/zip")
    reponse["Content-Disposition"] = f'attachment; filename="export-{lot.type}-{lot.session.annee}-{lot.pk}.zip"'
    reponse["Cache-Control"] = "private, no-store"
    return reponse


@permission_required("examens.exporter", raise_exception=True)
def export_fusion(request, pk):
    lot = _lot(request, pk)
    contenu = ExportLot.objects.filter(pk=lot.pk).values_list("fusion", flat=True).first()
    if not contenu:
        raise Http404("Pas de PDF unique pour cet export.")
    return _pdf(bytes(contenu), f"export-{lot.type}-{lot.session.annee}-{lot.pk}.pdf")


@require_POST
@permission_required("examens.exporter", raise_exception=True)
def export_relancer(request, pk):
    """Relance les tranches d'un lot resté en attente (aucun worker n'était lancé) : rien n'est refait deux fois."""
    lot = _lot(request, pk)
    if lot.fini:
        messages.info(request, "Cet export est déjà terminé.")
    else:
        lots.relancer_export(lot=lot, auteur=request.user)
        messages.success(request, "Export relancé : les documents manquants sont remis dans la file.")
    return redirect("examens:export", pk=lot.pk)
