"""Import des PFMP (une ligne = une période et son attestation), tout ou rien comme les imports d'examens.

En-tête : numero_candidat;siret;organisation;pays;date_debut;date_fin;semaines;attestation_signee.
Toutes les lignes sont validées sous verrou de la session ; une seule ligne fausse et rien n'est écrit
(`ImportRefuse` liste chaque ligne fautive, numérotée comme dans le fichier, l'en-tête étant la ligne 1).

Réimporter le même fichier ne crée rien : une période se reconnaît à (candidat, organisation, date de début) ;
si son attestation diffère, une nouvelle attestation remplace l'ancienne (journalisée).
"""

import dataclasses
import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from agora.format import lire_date
from agora.tableaux import Erreur, FichierInvalide, ImportRefuse, Ligne, lire
from examens import perimetre
from examens import services as examens_services
from examens.models import Candidat, Session
from pfmp import regles_pfmp, selectors, services
from pfmp.models import Attestation, Convention, Organisation, Periode, erreur_siret, nom_pays, valider_pays

COLONNES = [
    "numero_candidat",
    "siret",
    "organisation",
    "pays",
    "date_debut",
    "date_fin",
    "semaines",
    "attestation_signee",
]


@dataclass
class Bilan:
    crees: int = 0  # périodes créées
    modifies: int = 0  # attestations remplacées
    inchanges: int = 0
    organisations_creees: list[str] = field(default_factory=list)
    candidats: int = 0  # candidats dont la conformité a été recalculée


@dataclass(frozen=True)
class _Propre:
    ligne: int
    candidat: Candidat
    siret: str
    organisation: str
    pays: str
    debut: datetime.date
    fin: datetime.date
    semaines: Decimal
    signee: bool


def _semaines(texte: str) -> Decimal | None:
    try:
        valeur = Decimal(texte.replace(",", "."))
    except InvalidOperation:
        return None
    if not valeur.is_finite() or valeur != valeur.quantize(Decimal("0.1")):
        return None
    return valeur


def valider_ligne(v: dict[str, str], *, candidats: dict[str, Candidat], annee: int) -> tuple[_Propre | None, list[str]]:
    """Valide une ligne ; renvoie (valeurs propres ou None, messages d'erreur en français)."""
    messages = []
    numero = v["numero_candidat"]
    candidat = candidats.get(numero)
    if candidat is None:
        messages.append(perimetre.message_candidat_inconnu(numero, annee))
    pays = v["pays"].strip().upper() or "FR"
    try:
        valider_pays(pays)
    except Exception:
        messages.append(f"pays « {v['pays']} » : code ISO 3166-1 alpha-2 attendu (ex. FR, ES, DE)")
    siret = v["siret"].replace(" ", "")
    if siret:
        if message := erreur_siret(siret):
            messages.append(message)
    elif pays == "FR":
        messages.append("siret obligatoire pour une organisation établie en France")
    organisation = v["organisation"]
    if not organisation:
        messages.append("organisation obligatoire (nom de l'organisation d'accueil)")
    elif len(organisation) > 200:
        messages.append("organisation : 200 caractères au plus")
    elif organisation[0] in "=+-@\t\r":
        messages.append(f"organisation « {organisation[:20]} » : ne peut pas commencer par {organisation[0]!r}")
    debut, fin = lire_date(v["date_debut"]), lire_date(v["date_fin"])
    if debut is None:
        messages.append(f"date_debut « {v['date_debut']} » : date JJ/MM/AAAA attendue")
    if fin is None:
        messages.append(f"date_fin « {v['date_fin']} » : date JJ/MM/AAAA attendue")
    if debut and fin:
        if fin < debut:
            messages.append(f"date_fin {v['date_fin']} antérieure à date_debut {v['date_debut']}")
        elif not (annee - 5 <= debut.year <= annee):
            messages.append(f"date_debut {v['date_debut']} : hors des cinq années qui précèdent la session {annee}")
        elif fin > timezone.localdate():
            messages.append(f"date_fin {v['date_fin']} : une attestation porte sur une période terminée")
    semaines = _semaines(v["semaines"])
    if semaines is None:
        messages.append(f"semaines « {v['semaines']} » : nombre de semaines attendu (ex. 4 ou 3,5 ; une décimale)")
    elif semaines <= 0:
        messages.append(f"semaines {v['semaines']} : doit être positif")
    elif debut and fin and fin >= debut and semaines > (plafond := regles_pfmp.semaines_calendaires(debut, fin)):
        messages.append(
            f"semaines {v['semaines']} : plus que les {plafond} semaines civiles "
            f"du {v['date_debut']} au {v['date_fin']}"
        )
    signee_texte = v["attestation_signee"].strip().lower()
    if signee_texte not in ("oui", "non"):
        messages.append(f"attestation_signee « {v['attestation_signee']} » : oui ou non")
    if messages:
        return None, messages
    return _Propre(0, candidat, siret, organisation, pays, debut, fin, semaines, signee_texte == "oui"), []


def importer_pfmp(*, contenu: bytes, nom_fichier: str, annee: int, auteur=None) -> Bilan:
    try:
        lignes = lire(contenu, nom_fichier, COLONNES)
    except FichierInvalide as e:
        raise ImportRefuse([Erreur(0, str(e))]) from None
    with transaction.atomic():
        return _importer(lignes, annee, auteur)


def _importer(lignes: list[Ligne], annee: int, auteur) -> Bilan:
    session = Session.objects.select_for_update().filter(annee=annee).first()
    if session is None:
        raise ImportRefuse([Erreur(0, f"La session {annee} n'existe pas : importez d'abord les candidats.")])
    if session.verrouillee:
        raise ImportRefuse([Erreur(0, f"La délibération de la session {annee} est verrouillée : aucun import.")])
    # Seuls les candidats dont l'auteur écrit le dossier PFMP : un numéro d'ailleurs est « inconnu ».
    candidats = {
        c.numero: c
        for c in perimetre.candidats_pfmp_ecrivables(auteur)
        .filter(session=session)
        .select_related("session", "etablissement")
    }
    erreurs: list[Erreur] = []
    propres: list[_Propre] = []
    for ligne in lignes:
        propre, messages = valider_ligne(ligne.valeurs, candidats=candidats, annee=annee)
        erreurs += [Erreur(ligne.numero, m) for m in messages]
        if propre:
            propres.append(dataclasses.replace(propre, ligne=ligne.numero))
    erreurs += _incoherences(propres)
    # Le jury verrouillé d'un établissement fige la conformité de ses candidats : leurs lignes sont refusées.
    verrouilles = examens_services.jurys_verrouilles([session.pk], {p.candidat.etablissement_id for p in propres})
    erreurs += [
        Erreur(p.ligne, f"{p.candidat.numero} : {examens_services.message_jury_verrouille(nom)}")
        for p in propres
        if (nom := verrouilles.get((session.pk, p.candidat.etablissement_id)))
    ]
    # Périodes déjà en base : chevauchement avec une autre organisation ou d'autres dates.
    existantes = _periodes_existantes({p.candidat.pk for p in propres})
    for p in propres:
        for periode in existantes.get(p.candidat.pk, []):
            if _meme_organisation(periode.convention.organisation, p) and periode.date_debut == p.debut:
                continue  # la même période, réimportée : son attestation sera comparée plus bas
            if periode.date_debut <= p.fin and p.debut <= periode.date_fin:
                erreurs.append(
                    Erreur(
                        p.ligne,
                        f"période du {p.debut:%d/%m/%Y} au {p.fin:%d/%m/%Y} : chevauche celle déjà enregistrée du "
                        f"{periode.date_debut:%d/%m/%Y} au {periode.date_fin:%d/%m/%Y} "
                        f"({periode.convention.organisation.nom})",
                    )
                )
    if erreurs:
        raise ImportRefuse(sorted(erreurs, key=lambda e: e.ligne))

    bilan = Bilan()
    organisations = _organisations(propres, bilan)
    # Trois temps, en requêtes groupées : les périodes nouvelles (conventions puis périodes), les attestations
    # (les précédentes cessent d'être en vigueur), puis le journal ligne à ligne et la conformité des candidats.
    a_attester: list[tuple[_Propre, Organisation, Periode | None, Attestation | None]] = []
    nouvelles: list[tuple[_Propre, Organisation]] = []
    for p in propres:
        organisation = organisations[(p.siret, p.organisation, p.pays)]
        periode = next(
            (
                x
                for x in existantes.get(p.candidat.pk, [])
                if x.convention.organisation_id == organisation.pk and x.date_debut == p.debut
            ),
            None,
        )
        if periode is None:
            nouvelles.append((p, organisation))
            continue
        precedente = next(iter(periode.attestations_en_vigueur), None)
        if precedente and (precedente.semaines, precedente.signee, precedente.date_fin) == (
            p.semaines,
            p.signee,
            p.fin,
        ):
            bilan.inchanges += 1
            continue
        a_attester.append((p, organisation, periode, precedente))
        bilan.modifies += 1
    conventions = Convention.objects.bulk_create(
        [
            Convention(
                candidat=p.candidat,
                organisation=organisation,
                date_debut=p.debut,
                date_fin=p.fin,
                # Une attestation signée par le tuteur à l'issue de la période suppose la convention signée
                # (Annexe III, II.1 : elle est obligatoire) ; sinon elle reste à vérifier.
                etat=Convention.Etat.SIGNEE if p.signee else Convention.Etat.A_SIGNER,
            )
            for p, organisation in nouvelles
        ],
        batch_size=2000,
    )
    periodes = Periode.objects.bulk_create(
        [
            Periode(
                convention=convention,
                date_debut=p.debut,
                date_fin=p.fin,
                semaines=p.semaines,
                pays=p.pays,
                annee_cycle=regles_pfmp.annee_du_cycle(p.debut, session=annee, duree_cycle=p.candidat.duree_cycle),
            )
            for (p, _), convention in zip(nouvelles, conventions, strict=True)
        ],
        batch_size=2000,
    )
    bilan.crees = len(periodes)
    a_attester += [(p, o, periode, None) for (p, o), periode in zip(nouvelles, periodes, strict=True)]
    remplacees = [precedente.pk for _, _, _, precedente in a_attester if precedente]
    Attestation.objects.filter(pk__in=remplacees).update(en_vigueur=False)
    attestations = Attestation.objects.bulk_create(
        [
            Attestation(
                periode=periode,
                remplace=precedente,
                signee=p.signee,
                date_signature=p.fin if p.signee else None,
                candidat_numero=p.candidat.numero,
                candidat_nom=p.candidat.nom,
                candidat_prenom=p.candidat.prenom,
                etablissement=f"{p.candidat.etablissement.nom} ({p.candidat.etablissement.uai})",
                organisation_nom=organisation.nom,
                organisation_siret=organisation.siret,
                organisation_adresse=organisation.adresse_complete,
                pays=p.pays,
                date_debut=p.debut,
                date_fin=p.fin,
                semaines=p.semaines,
                observations="importée",
                saisie_par=auteur,
            )
            for p, organisation, periode, precedente in a_attester
        ],
        batch_size=2000,
    )
    touches: dict[int, Candidat] = {}
    for (p, _, _, precedente), attestation in zip(a_attester, attestations, strict=True):
        examens_services.journaliser(
            action="pfmp.attestation.modification" if precedente else "pfmp.attestation.creation",
            auteur=auteur,
            candidat=p.candidat,
            objet=attestation.numero,
            avant=services._attestation_json(precedente),
            apres=services._attestation_json(attestation),
            motif="import",
        )
        touches[p.candidat.pk] = p.candidat
    for ligne in selectors.tableau(Candidat.objects.filter(pk__in=touches)):
        services.appliquer(candidat=ligne.candidat, conformite=ligne.conformite)
    bilan.candidats = len(touches)
    examens_services.journaliser(
        action="import.pfmp",
        auteur=auteur,
        session=session,
        apres={
            "lignes": len(propres),
            "periodes_creees": bilan.crees,
            "attestations_modifiees": bilan.modifies,
            "organisations_creees": bilan.organisations_creees,
            **perimetre.mention_systeme(auteur),
        },
    )
    return bilan


def _meme_organisation(organisation: Organisation, p: _Propre) -> bool:
    """Même règle que `_organisations` : le SIRET identifie, sinon le nom (sans casse) et le pays."""
    if p.siret:
        return organisation.siret == p.siret
    return not organisation.siret and organisation.nom.lower() == p.organisation.lower() and organisation.pays == p.pays


def _incoherences(propres: list[_Propre]) -> list[Erreur]:
    """Dans le fichier même : un même SIRET pour deux noms, deux périodes d'un candidat qui se chevauchent."""
    erreurs = []
    noms: dict[str, tuple[str, int]] = {}
    for p in propres:
        if p.siret:
            nom, ligne = noms.setdefault(p.siret, (p.organisation, p.ligne))
            if nom != p.organisation:
                erreurs.append(
                    Erreur(p.ligne, f"siret {p.siret} : déjà « {nom} » ligne {ligne}, ici « {p.organisation} »")
                )
    par_candidat: dict[int, list[_Propre]] = {}
    for p in propres:
        par_candidat.setdefault(p.candidat.pk, []).append(p)
    for liste in par_candidat.values():
        liste.sort(key=lambda p: (p.debut, p.ligne))
        for avant, apres in zip(liste, liste[1:], strict=False):
            if apres.debut <= avant.fin:
                erreurs.append(
                    Erreur(
                        apres.ligne,
                        f"période du {apres.debut:%d/%m/%Y} au {apres.fin:%d/%m/%Y} : chevauche celle de la ligne "
                        f"{avant.ligne} ({avant.candidat.numero})",
                    )
                )
    return erreurs


def _periodes_existantes(ids: set[int]) -> dict[int, list[Periode]]:
    resultat: dict[int, list[Periode]] = {}
    qs = (
        Periode.objects.filter(convention__candidat_id__in=ids)
        .exclude(convention__etat=Convention.Etat.RESILIEE)
        .select_related("convention__organisation")
        .prefetch_related(
            Prefetch("attestations", Attestation.objects.filter(en_vigueur=True), to_attr="attestations_en_vigueur")
        )
    )
    for periode in qs:
        resultat.setdefault(periode.convention.candidat_id, []).append(periode)
    return resultat


def _organisations(propres: list[_Propre], bilan: Bilan) -> dict[tuple[str, str, str], Organisation]:
    """Organisation de chaque ligne : par SIRET s'il y en a un, sinon par nom et pays ; créée si elle manque."""
    sirets = {p.siret for p in propres if p.siret}
    par_siret = {o.siret: o for o in Organisation.objects.filter(siret__in=sirets)}
    resultat = {}
    for p in propres:
        cle = (p.siret, p.organisation, p.pays)
        if cle in resultat:
            continue
        if p.siret:
            organisation = par_siret.get(p.siret)
        else:
            organisation = Organisation.objects.filter(siret="", nom__iexact=p.organisation, pays=p.pays).first()
        if organisation is None:
            organisation = Organisation.objects.create(nom=p.organisation, siret=p.siret, pays=p.pays)
            if p.siret:
                par_siret[p.siret] = organisation
            bilan.organisations_creees.append(p.siret or f"{p.organisation} ({nom_pays(p.pays)})")
        resultat[cle] = organisation
    return resultat
