"""Périodes de formation en milieu professionnel (Annexe III) : organisations d'accueil, tuteurs, conventions,
périodes, attestations, certificats de travail et document de liaison (évaluations du tuteur).

Les règles (exigence, conformité) sont dans `pfmp.regles_pfmp` ; les écritures dans `pfmp.services`.
"""

import functools
import gettext
import unicodedata

import pycountry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from stdnum import exceptions as stdnum_exceptions
from stdnum.fr import siret as stdnum_siret

from examens.models import COLLATION_FRANCAISE
from pfmp import regles_pfmp


def erreur_siret(valeur: str) -> str | None:
    """Message d'erreur en français pour un SIRET (14 chiffres, clés de Luhn), None s'il est valide."""
    if not valeur.isdigit() or not valeur.isascii():
        return f"SIRET « {valeur} » : 14 chiffres attendus"
    if len(valeur) != 14:
        return f"SIRET « {valeur} » : 14 chiffres attendus ({len(valeur)} reçus)"
    try:
        stdnum_siret.validate(valeur)  # clé de Luhn du SIREN et du SIRET (La Poste comprise)
    except stdnum_exceptions.ValidationError:
        return f"SIRET « {valeur} » : clé de contrôle (Luhn) incorrecte"
    return None


def valider_siret(valeur: str) -> None:
    if message := erreur_siret(valeur):
        raise ValidationError(message)


@functools.cache
def nom_pays(code: str) -> str:
    """Nom français d'un pays ISO 3166-1 alpha-2 (« ES » → « Espagne »), le code s'il est inconnu."""
    pays = pycountry.countries.get(alpha_2=code) if len(code) == 2 else None
    if pays is None:
        return code
    traduction = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"], fallback=True)
    return traduction.gettext(pays.name)


def valider_pays(code: str) -> None:
    if len(code) != 2 or not code.isupper() or pycountry.countries.get(alpha_2=code) is None:
        raise ValidationError(f"pays « {code} » : code ISO 3166-1 alpha-2 attendu (ex. FR, ES, DE)")


def cle_francaise(texte: str) -> tuple[str, str]:
    """Clé de tri d'un nom à la française : lettres sans accents ni casse d'abord, puis le texte exact.

    Le tri par points de code met « Bélarus » après « Burundi » (é > u) ; la base trie les noms avec sa collation
    ICU, cette clé fait de même pour les listes construites en Python (les pays viennent de pycountry).
    """
    decompose = unicodedata.normalize("NFKD", texte.casefold())
    return "".join(c for c in decompose if not unicodedata.combining(c)), texte


@functools.cache
def choix_pays() -> list[tuple[str, str]]:
    """Pays triés par nom français, la France en tête."""
    tous = sorted(((p.alpha_2, nom_pays(p.alpha_2)) for p in pycountry.countries), key=lambda c: cle_francaise(c[1]))
    return [("FR", "France")] + [c for c in tous if c[0] != "FR"]


class Organisation(models.Model):
    """Organisation d'accueil (Annexe III, I : « tous les types d'organisation » du référentiel)."""

    class Secteur(models.TextChoices):
        PRIVE = "prive", "secteur privé"
        PUBLIC = "public", "secteur public"
        ASSOCIATIF = "associatif", "secteur associatif"

    nom = models.CharField(max_length=200, db_collation=COLLATION_FRANCAISE)
    siret = models.CharField("SIRET", max_length=14, blank=True, validators=[valider_siret])
    adresse = models.TextField(blank=True)
    code_postal = models.CharField("code postal", max_length=10, blank=True)
    ville = models.CharField(max_length=100, blank=True)
    pays = models.CharField(max_length=2, default="FR", validators=[valider_pays])
    secteur = models.CharField(max_length=12, choices=Secteur.choices, default=Secteur.PRIVE)
    activite = models.CharField("domaine d'activité", max_length=200, blank=True)
    cree_le = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "organisation d'accueil"
        verbose_name_plural = "organisations d'accueil"
        ordering = ["nom"]
        constraints = [
            models.UniqueConstraint(fields=["siret"], condition=~Q(siret=""), name="organisation_siret_unique"),
        ]

    def __str__(self):
        return f"{self.nom} ({self.siret or nom_pays(self.pays)})"

    def clean(self):
        if self.pays == "FR" and not self.siret:
            raise ValidationError({"siret": "Le SIRET est obligatoire pour une organisation établie en France."})

    @property
    def nom_pays(self) -> str:
        return nom_pays(self.pays)

    @property
    def adresse_complete(self) -> str:
        lignes = [self.adresse.strip(), f"{self.code_postal} {self.ville}".strip()]
        if self.pays != "FR":
            lignes.append(self.nom_pays)
        return "\n".join(ligne for ligne in lignes if ligne)


class Tuteur(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="tuteurs")
    nom = models.CharField(max_length=100)
    prenom = models.CharField("prénom", max_length=100, blank=True)
    fonction = models.CharField(max_length=100, blank=True)
    email = models.EmailField("courriel", blank=True)
    telephone = models.CharField("téléphone", max_length=30, blank=True)

    class Meta:
        ordering = ["nom", "prenom"]

    def __str__(self):
        return f"{self.prenom} {self.nom}".strip()


class Convention(models.Model):
    """Convention entre l'établissement de formation et l'organisation d'accueil (Annexe III, II.1)."""

    class Etat(models.TextChoices):
        A_SIGNER = "a_signer", "en attente de signature"
        SIGNEE = "signee", "signée"
        RESILIEE = "resiliee", "résiliée"

    candidat = models.ForeignKey("examens.Candidat", on_delete=models.CASCADE, related_name="pfmp_conventions")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="conventions")
    tuteur = models.ForeignKey(Tuteur, on_delete=models.SET_NULL, null=True, blank=True, related_name="conventions")
    referent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pfmp_conventions_suivies",
        verbose_name="enseignant référent",
    )
    date_debut = models.DateField("début")
    date_fin = models.DateField("fin")
    etat = models.CharField("signature", max_length=10, choices=Etat.choices, default=Etat.A_SIGNER)
    date_signature = models.DateField("signée le", null=True, blank=True)
    cree_le = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["candidat", "date_debut"]
        constraints = [
            models.CheckConstraint(condition=Q(date_fin__gte=models.F("date_debut")), name="convention_dates"),
        ]

    def __str__(self):
        return f"Convention {self.candidat.numero} – {self.organisation.nom}"


class Periode(models.Model):
    convention = models.ForeignKey(Convention, on_delete=models.CASCADE, related_name="periodes")
    date_debut = models.DateField("début")
    date_fin = models.DateField("fin")
    annee_cycle = models.PositiveSmallIntegerField(
        "année du cycle", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(3)]
    )
    semaines = models.DecimalField("semaines prévues", max_digits=4, decimal_places=1)
    pays = models.CharField(max_length=2, default="FR", validators=[valider_pays])
    cree_le = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "période de PFMP"
        verbose_name_plural = "périodes de PFMP"
        ordering = ["date_debut"]
        constraints = [
            models.CheckConstraint(condition=Q(date_fin__gte=models.F("date_debut")), name="periode_dates"),
            models.CheckConstraint(condition=Q(semaines__gt=0, semaines__lte=22), name="periode_semaines"),
            models.CheckConstraint(
                condition=Q(annee_cycle__isnull=True) | Q(annee_cycle__gte=1, annee_cycle__lte=3),
                name="periode_annee_cycle",
            ),
        ]

    def __str__(self):
        return f"{self.date_debut:%d/%m/%Y} – {self.date_fin:%d/%m/%Y}"

    @property
    def a_l_etranger(self) -> bool:
        return self.pays != "FR"

    @property
    def mobilite(self) -> bool:
        return regles_pfmp.ouvre_la_mobilite(self.pays, regles_pfmp.ZONE_MOBILITE)

    @property
    def nom_pays(self) -> str:
        return nom_pays(self.pays)


class Attestation(models.Model):
    """Attestation de PFMP telle que le tuteur l'a signée (Annexe III, II.1) : un instantané.

    Tout ce qui est imprimé est recopié ici et ne se relit jamais depuis les lignes vivantes : une correction
    est une nouvelle attestation qui remplace la précédente (``remplace``), et aucune ne se supprime.
    """

    periode = models.ForeignKey(Periode, on_delete=models.CASCADE, related_name="attestations")
    remplace = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="remplacee_par"
    )
    en_vigueur = models.BooleanField(default=True)
    signee = models.BooleanField("signée par le tuteur", default=False)
    date_signature = models.DateField("signée le", null=True, blank=True)
    signataire = models.CharField("signataire (tuteur)", max_length=200, blank=True)
    # Instantané
    candidat_numero = models.CharField(max_length=20)
    candidat_nom = models.CharField(max_length=100)
    candidat_prenom = models.CharField(max_length=100)
    etablissement = models.CharField("établissement de formation", max_length=250)
    organisation_nom = models.CharField("organisation d'accueil", max_length=200)
    organisation_siret = models.CharField("SIRET", max_length=14, blank=True)
    organisation_adresse = models.TextField(blank=True)
    pays = models.CharField(max_length=2)
    tuteur = models.CharField(max_length=200, blank=True)
    tuteur_fonction = models.CharField(max_length=100, blank=True)
    date_debut = models.DateField("début")
    date_fin = models.DateField("fin")
    semaines = models.DecimalField("semaines effectuées", max_digits=4, decimal_places=1)
    activites = models.JSONField("activités réalisées", default=list)  # [{"code": "1.1", "intitule": "…"}]
    observations = models.TextField(blank=True)
    saisie_le = models.DateTimeField(auto_now_add=True)
    saisie_par = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        ordering = ["date_debut", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["periode"], condition=Q(en_vigueur=True), name="attestation_une_en_vigueur"
            ),
            models.CheckConstraint(condition=Q(semaines__gt=0, semaines__lte=22), name="attestation_semaines"),
            models.CheckConstraint(
                condition=Q(signee=False) | Q(date_signature__isnull=False), name="attestation_datee"
            ),
        ]
        permissions = [("importer", "Peut importer des PFMP"), ("synchroniser", "Peut recalculer les blocages PFMP")]

    def __str__(self):
        return f"Attestation {self.numero}"

    def delete(self, *args, **kwargs):
        raise ValidationError("Une attestation ne se supprime pas : saisissez-en une nouvelle qui la remplace.")

    @property
    def numero(self) -> str:
        return f"PFMP-{self.pk:06d}" if self.pk else ""

    @property
    def nom_pays(self) -> str:
        return nom_pays(self.pays)


class CertificatTravail(models.Model):
    """Certificat de travail (Annexe III, II.3.2 et II.4) : remplace l'attestation de PFMP."""

    class Quotite(models.TextChoices):
        TEMPS_PLEIN = "temps_plein", "temps plein"
        TEMPS_PARTIEL = "temps_partiel", "temps partiel"

    candidat = models.ForeignKey("examens.Candidat", on_delete=models.CASCADE, related_name="pfmp_certificats")
    employeur = models.CharField(max_length=200)
    siret = models.CharField("SIRET", max_length=14, blank=True, validators=[valider_siret])
    emploi = models.CharField("emploi occupé", max_length=200)
    quotite = models.CharField("quotité", max_length=15, choices=Quotite.choices)
    date_debut = models.DateField("début")
    date_fin = models.DateField("fin")
    activites = models.ManyToManyField(
        "referentiel.Activite", blank=True, related_name="+", verbose_name="activités du référentiel attestées"
    )
    saisi_le = models.DateTimeField(auto_now_add=True)
    saisi_par = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        verbose_name = "certificat de travail"
        verbose_name_plural = "certificats de travail"
        ordering = ["date_debut"]
        constraints = [
            models.CheckConstraint(condition=Q(date_fin__gte=models.F("date_debut")), name="certificat_dates"),
        ]

    def __str__(self):
        return f"{self.employeur} ({self.date_debut:%d/%m/%Y} – {self.date_fin:%d/%m/%Y})"


class DossierPfmp(models.Model):
    """Ce que le candidat (examens) ne dit pas : sa voie de l'Annexe III et la date de son positionnement.

    La durée fixée par le positionnement reste sur `Candidat.positionnement_semaines` (importée avec lui).
    """

    VOIES = [(v.value, v.libelle) for v in regles_pfmp.Voie]

    candidat = models.OneToOneField("examens.Candidat", on_delete=models.CASCADE, related_name="dossier_pfmp")
    voie = models.CharField(max_length=30, choices=VOIES, blank=True)  # vide : déduite du statut
    date_positionnement = models.DateField("date de la décision de positionnement", null=True, blank=True)
    observations = models.TextField(blank=True)
    modifie_le = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "dossier PFMP"
        verbose_name_plural = "dossiers PFMP"

    def __str__(self):
        return f"Dossier PFMP {self.candidat.numero}"


class Evaluation(models.Model):
    """Le document de liaison (Annexe III, II.1) pour une période : activités réalisées et appréciation des
    compétences par le tuteur, saisies par l'enseignant après la visite."""

    periode = models.OneToOneField(Periode, on_delete=models.CASCADE, related_name="evaluation")
    date_visite = models.DateField("date de la visite", null=True, blank=True)
    tuteur = models.CharField("tuteur qui apprécie", max_length=200, blank=True)
    activites = models.ManyToManyField(
        "referentiel.Activite", blank=True, related_name="+", verbose_name="activités réalisées"
    )
    appreciation = models.TextField("appréciation générale", blank=True)
    saisie_par = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    modifiee_le = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "évaluation du tuteur"
        verbose_name_plural = "évaluations du tuteur"

    def __str__(self):
        return f"Évaluation de la période {self.periode}"


class Niveau(models.TextChoices):
    """Échelle des grilles d'évaluation (quatre niveaux, regles-examen §2)."""

    TI = "TI", "très insuffisant"
    I = "I", "insuffisant"  # noqa: E741
    S = "S", "satisfaisant"
    TS = "TS", "très satisfaisant"


class AppreciationCompetence(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="appreciations")
    competence = models.ForeignKey("referentiel.Competence", on_delete=models.PROTECT, related_name="+")
    niveau = models.CharField(max_length=2, choices=Niveau.choices)

    class Meta:
        verbose_name = "appréciation d'une compétence"
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "competence"], name="appreciation_unique"),
        ]

    def __str__(self):
        return f"{self.competence} : {self.niveau}"


class EtatConformite(models.Model):
    """Dernière conformité calculée d'un candidat, écrite dans la transaction de toute écriture qui la change.

    Sert aux lectures de masse (résumé national, filtre par état, pagination) sans refaire le calcul de toute une
    session. Seul le niveau « en cours » / « à risque » dépend de la date du jour (une période finit sans
    attestation, l'examen arrive) : `revoir_le` dit à partir de quand il peut changer ; au-delà, la ligne est
    périmée et se recalcule (lecture, tâche quotidienne). Le blocage, lui, ne dépend pas de la date.
    """

    NIVEAUX = [(n.value, n.libelle) for n in regles_pfmp.Niveau]

    candidat = models.OneToOneField(
        "examens.Candidat", on_delete=models.CASCADE, primary_key=True, related_name="etat_pfmp"
    )
    niveau = models.CharField(max_length=10, choices=NIVEAUX)
    voie = models.CharField(max_length=30)
    semaines_requises = models.DecimalField(max_digits=5, decimal_places=1)
    semaines_attestees = models.DecimalField(max_digits=5, decimal_places=1)
    semaines_manquantes = models.DecimalField(max_digits=5, decimal_places=1)
    motif = models.TextField(blank=True)  # le premier motif
    calcule_le = models.DateField("calculé pour le")
    revoir_le = models.DateField("niveau valable jusqu'au (exclu)", null=True, blank=True)

    class Meta:
        verbose_name = "état de conformité PFMP"
        verbose_name_plural = "états de conformité PFMP"
        indexes = [models.Index(fields=["niveau"], name="etat_pfmp_niveau")]

    def __str__(self):
        return f"{self.candidat_id} : {self.niveau}"


class LienTuteur(models.Model):
    """Lien personnel envoyé au tuteur (ou maître d'apprentissage) pour attester et évaluer une période en ligne,
    sans compte. Le jeton est signé par `django.core.signing.TimestampSigner` (voir `pfmp.tuteurs`) ; cette ligne
    dit s'il vaut encore : expiré, révoqué, ou déjà utilisé pour signer (une seule signature par lien)."""

    periode = models.ForeignKey(Periode, on_delete=models.CASCADE, related_name="liens_tuteur")
    destinataire = models.EmailField("courriel du tuteur")
    nom = models.CharField("tuteur", max_length=200, blank=True)
    nonce = models.CharField(max_length=32, unique=True)  # aléa signé dans le jeton : un lien ne se devine pas
    cree_le = models.DateTimeField(auto_now_add=True)
    cree_par = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    expire_le = models.DateTimeField("expire le")
    revoque_le = models.DateTimeField("révoqué le", null=True, blank=True)
    utilise_le = models.DateTimeField("signé le", null=True, blank=True)
    relance_avant_le = models.DateTimeField(null=True, blank=True)
    relance_apres_le = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "lien du tuteur"
        verbose_name_plural = "liens des tuteurs"
        ordering = ["-cree_le"]

    def __str__(self):
        return f"Lien {self.pk} → {self.destinataire}"


class SignatureTuteur(models.Model):
    """Signature en ligne d'une attestation par le tuteur : qui, en quelle qualité, quand, d'où, et l'empreinte
    SHA-256 du PDF émis à cet instant. Immuable : une correction est une nouvelle attestation (`remplace`)."""

    # Elle vit et meurt avec son attestation (qui ne se supprime pas seule) : la suppression d'une session entière
    # (conservation des données, generer_donnees --remplacer) l'emporte.
    attestation = models.OneToOneField(Attestation, on_delete=models.CASCADE, related_name="signature_tuteur")
    lien = models.OneToOneField(LienTuteur, on_delete=models.CASCADE, related_name="signature")
    nom = models.CharField("nom du signataire", max_length=200)
    qualite = models.CharField("qualité", max_length=200)
    consentement = models.BooleanField()
    signee_le = models.DateTimeField("signée le")
    adresse_ip = models.GenericIPAddressField("adresse IP", null=True, blank=True)
    navigateur = models.CharField(max_length=300, blank=True)
    absences = models.TextField(blank=True)
    pdf = models.BinaryField()
    sha256 = models.CharField("empreinte SHA-256 du PDF", max_length=64)

    class Meta:
        verbose_name = "signature du tuteur"
        verbose_name_plural = "signatures des tuteurs"

    def __str__(self):
        return f"Signature de {self.nom} ({self.signee_le:%d/%m/%Y %H:%M})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("Une signature ne se modifie pas : une correction est une nouvelle attestation.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Une signature ne se supprime pas.")
