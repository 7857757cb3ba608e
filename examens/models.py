"""Le règlement d'examen (Annexe II b), les sessions, les candidats et leurs notes.

Le mode d'évaluation d'un candidat n'est jamais saisi : il découle de son statut (→ catégorie,
les trois colonnes de l'Annexe II b) et du règlement de la session.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from examens import identifiants


class ReglementExamen(models.Model):
    code = models.CharField(max_length=30, unique=True)
    referentiel = models.ForeignKey("referentiel.Referentiel", on_delete=models.PROTECT, related_name="reglements")
    session_debut = models.PositiveSmallIntegerField("première session")
    session_fin = models.PositiveSmallIntegerField("dernière session", null=True, blank=True)
    regles = models.JSONField("règles de session", default=dict)
    empreinte = models.CharField("empreinte SHA-256 du fichier chargé", max_length=64)

    class Meta:
        verbose_name = "règlement d'examen"
        verbose_name_plural = "règlements d'examen"

    def __str__(self):
        return self.code


class CategorieCandidat(models.Model):
    reglement = models.ForeignKey(ReglementExamen, on_delete=models.CASCADE, related_name="categories")
    code = models.CharField(max_length=2)
    intitule = models.TextField()
    statuts = models.JSONField(default=list)

    class Meta:
        verbose_name = "catégorie de candidats"
        ordering = ["reglement", "code"]
        constraints = [models.UniqueConstraint(fields=["reglement", "code"], name="categorie_unique")]

    def __str__(self):
        return f"Catégorie {self.code}"


class Epreuve(models.Model):
    class GroupeControle(models.TextChoices):
        SCIENTIFIQUE = "scientifique", "économie-droit, mathématiques ou PSE"
        FRANCAIS_HG = "francais_hg", "français ou histoire-géographie-EMC"

    reglement = models.ForeignKey(ReglementExamen, on_delete=models.CASCADE, related_name="epreuves")
    code = models.CharField(max_length=5)
    ordre = models.PositiveSmallIntegerField()
    intitule = models.TextField()
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="sous_epreuves")
    unite = models.ForeignKey(
        "referentiel.Unite", on_delete=models.PROTECT, null=True, blank=True, related_name="epreuves"
    )
    coefficient = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    professionnelle = models.BooleanField(default=False)
    facultative = models.BooleanField(default=False)
    groupe_controle = models.CharField(max_length=15, choices=GroupeControle.choices, blank=True)
    remplacable = models.BooleanField(default=True)

    class Meta:
        verbose_name = "épreuve"
        ordering = ["reglement", "ordre"]
        constraints = [models.UniqueConstraint(fields=["reglement", "code"], name="epreuve_unique")]

    def __str__(self):
        return f"{self.code} {self.intitule}"


class Mode(models.TextChoices):
    CCF = "ccf", "CCF"
    PONCTUEL = "ponctuel", "Ponctuel"
    PONCTUEL_ECRIT = "ponctuel_ecrit", "Ponctuel écrit"
    PONCTUEL_ORAL = "ponctuel_oral", "Ponctuel oral"
    PONCTUEL_PRATIQUE = "ponctuel_pratique", "Ponctuel pratique"
    PONCTUEL_ORAL_PRATIQUE = "ponctuel_oral_pratique", "Ponctuel oral et pratique"


class ModaliteEpreuve(models.Model):
    epreuve = models.ForeignKey(Epreuve, on_delete=models.CASCADE, related_name="modalites")
    categorie = models.ForeignKey(CategorieCandidat, on_delete=models.CASCADE, related_name="modalites")
    mode = models.CharField(max_length=25, choices=Mode.choices)
    duree = models.CharField("durée", max_length=60, blank=True)
    remarque = models.TextField(blank=True)

    class Meta:
        verbose_name = "modalité d'épreuve"
        constraints = [models.UniqueConstraint(fields=["epreuve", "categorie"], name="modalite_unique")]

    def __str__(self):
        return f"{self.epreuve.code} catégorie {self.categorie.code} : {self.get_mode_display()}"


class CorrespondanceGA(models.Model):
    """Annexe IV : unité de Gestion-Administration → unité AGOrA (None : pas d'équivalent)."""

    reglement = models.ForeignKey(ReglementExamen, on_delete=models.CASCADE, related_name="correspondances")
    unite_ga = models.CharField(max_length=5)
    intitule_ga = models.TextField(blank=True)
    unite = models.ForeignKey(
        "referentiel.Unite", on_delete=models.PROTECT, null=True, blank=True, related_name="correspondances_ga"
    )

    class Meta:
        verbose_name = "correspondance Gestion-Administration"
        constraints = [models.UniqueConstraint(fields=["reglement", "unite_ga"], name="correspondance_unique")]

    def __str__(self):
        return f"GA {self.unite_ga} → {self.unite.code if self.unite else 'sans équivalent'}"


class Statut(models.TextChoices):
    SCOLAIRE_PUBLIC = "scolaire_public", "Scolaire (public)"
    SCOLAIRE_PRIVE_SOUS_CONTRAT = "scolaire_prive_sous_contrat", "Scolaire (privé sous contrat)"
    SCOLAIRE_PRIVE_HORS_CONTRAT = "scolaire_prive_hors_contrat", "Scolaire (privé hors contrat)"
    APPRENTI_CFA_HABILITE = "apprenti_cfa_habilite", "Apprenti (CFA habilité)"
    APPRENTI_CFA_NON_HABILITE = "apprenti_cfa_non_habilite", "Apprenti (CFA non habilité)"
    FPC_PUBLIC = "fpc_public", "Formation continue (public)"
    FPC_PUBLIC_HABILITE = "fpc_public_habilite", "Formation continue (public habilité)"
    FPC_PRIVE = "fpc_prive", "Formation continue (privé)"
    EXPERIENCE_3_ANS = "experience_3_ans", "3 années d'activité professionnelle"
    ENSEIGNEMENT_DISTANCE = "enseignement_distance", "Enseignement à distance"


class Session(models.Model):
    annee = models.PositiveSmallIntegerField("année", unique=True)
    reglement = models.ForeignKey(ReglementExamen, on_delete=models.PROTECT, related_name="sessions")
    verrouillee = models.BooleanField("délibération verrouillée", default=False)

    class Meta:
        ordering = ["-annee"]
        permissions = [
            ("voir_tout", "Voit toutes les sessions et tous les établissements"),
            ("importer", "Peut importer candidats et notes"),
            ("deliberer", "Peut délibérer"),
            ("verrouiller", "Peut verrouiller la délibération"),
            ("deverrouiller", "Peut déverrouiller la délibération"),
            ("exporter", "Peut exporter les résultats"),
        ]

    def __str__(self):
        return f"Session {self.annee}"


class Etablissement(models.Model):
    uai = models.CharField("UAI", max_length=8, unique=True, validators=[identifiants.valider_uai])
    nom = models.CharField(max_length=200)
    ville = models.CharField(max_length=100, blank=True)
    gestionnaires = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="etablissements_geres")

    class Meta:
        verbose_name = "établissement"
        ordering = ["nom"]

    def __str__(self):
        return f"{self.nom} ({self.uai})"


class Division(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="divisions")
    etablissement = models.ForeignKey(Etablissement, on_delete=models.CASCADE, related_name="divisions")
    nom = models.CharField(max_length=50)
    enseignants = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="divisions_enseignees")

    class Meta:
        ordering = ["etablissement__nom", "nom"]
        constraints = [models.UniqueConstraint(fields=["session", "etablissement", "nom"], name="division_unique")]

    def __str__(self):
        return self.nom


class CandidatQuerySet(models.QuerySet):
    def visibles_par(self, user):
        """Administrateur : tout ; gestionnaire : ses établissements ; enseignant : ses divisions."""
        if user.has_perm("examens.voir_tout"):
            return self
        return self.filter(Q(etablissement__gestionnaires=user) | Q(division__enseignants=user)).distinct()

    def de_session(self, session):
        return self.filter(session=session)


class Candidat(models.Model):
    class Forme(models.TextChoices):
        GLOBALE = "globale", "globale"
        PROGRESSIVE = "progressive", "progressive"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="candidats")
    numero = models.CharField("numéro de candidat", max_length=20)
    nom = models.CharField(max_length=100)
    prenom = models.CharField("prénom", max_length=100)
    date_naissance = models.DateField("date de naissance")
    etablissement = models.ForeignKey(Etablissement, on_delete=models.PROTECT, related_name="candidats")
    division = models.ForeignKey(Division, on_delete=models.SET_NULL, null=True, blank=True, related_name="candidats")
    statut = models.CharField(max_length=30, choices=Statut.choices)
    forme = models.CharField(max_length=12, choices=Forme.choices, default=Forme.GLOBALE)
    lv1 = models.CharField("LV1", max_length=2)
    lv2 = models.CharField("LV2", max_length=2, blank=True)
    facultative1 = models.CharField(
        "unité facultative 1", max_length=12, blank=True
    )  # « LV:es », « MOBILITE », « EPS »
    facultative2 = models.CharField("unité facultative 2", max_length=12, blank=True)
    duree_cycle = models.PositiveSmallIntegerField("durée du cycle (années)", default=3)
    positionnement_semaines = models.DecimalField(
        "PFMP fixée par positionnement (semaines)", max_digits=4, decimal_places=1, null=True, blank=True
    )
    # Chef-d'œuvre / projet (scolaires et apprentis, sessions ≥ 2022) : None = sans objet.
    chef_oeuvre = models.DecimalField(
        "note de chef-d'œuvre",
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(20)],
    )
    points_jury = models.DecimalField("points attribués par le jury", max_digits=4, decimal_places=2, default=0)
    # Unité facultative de mobilité : possible seulement avec une PFMP dans l'UE, l'EEE ou l'AELE (Annexe III).
    # None : inconnu (aucune PFMP saisie) ; renseigné par le module PFMP via services.definir_mobilite_eligible.
    mobilite_eligible = models.BooleanField("mobilité possible", null=True, blank=True)
    # Épreuve de contrôle (arrêté du 25/11/2021) : une unité parmi U11/U12/U33, une parmi U51/U52.
    controle_scientifique = models.CharField("contrôle : unité scientifique", max_length=5, blank=True)
    controle_francais_hg = models.CharField("contrôle : français ou histoire-géographie", max_length=5, blank=True)

    objects = CandidatQuerySet.as_manager()

    class Meta:
        ordering = ["session", "numero"]
        constraints = [
            models.UniqueConstraint(fields=["session", "numero"], name="candidat_unique"),
            models.CheckConstraint(condition=Q(duree_cycle__in=[2, 3]), name="candidat_duree_cycle"),
        ]

    def __str__(self):
        return f"{self.nom} {self.prenom} ({self.numero})"


class Note(models.Model):
    class Etat(models.TextChoices):
        NOTE = "note", "note"
        ABJ = "ABJ", "absence justifiée"
        ABS = "ABS", "absence non justifiée"
        DIS = "DIS", "dispense"
        NV = "NV", "non valide"

    class Origine(models.TextChoices):
        SESSION = "session", "passée à cette session"
        CONSERVEE_AGORA = "conservee_agora", "conservée (AGOrA)"
        CONSERVEE_GA = "conservee_ga", "conservée (Gestion-Administration)"
        CCF = "ccf", "proposée par la commission CCF"
        JURY = "jury", "modifiée par le jury"

    candidat = models.ForeignKey(Candidat, on_delete=models.CASCADE, related_name="notes")
    unite = models.CharField("unité", max_length=5)  # U11 … U7, UF1, UF2 (codes AGOrA)
    groupe = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(2)])
    etat = models.CharField("état", max_length=5, choices=Etat.choices, default=Etat.NOTE)
    # 3 décimales : la moyenne des deux situations de CCF de E2 peut valoir 10,125 (regles-examen §7.3).
    valeur = models.DecimalField(max_digits=5, decimal_places=3, null=True, blank=True)
    origine = models.CharField(max_length=20, choices=Origine.choices, default=Origine.SESSION)
    session_origine = models.PositiveSmallIntegerField(null=True, blank=True)
    unite_origine = models.CharField("unité d'origine", max_length=5, blank=True)
    modifiee_le = models.DateTimeField(auto_now=True)
    modifiee_par = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        ordering = ["candidat", "groupe", "unite"]
        constraints = [
            models.UniqueConstraint(fields=["candidat", "unite", "groupe"], name="note_unique"),
            models.CheckConstraint(
                condition=(Q(etat="note", valeur__gte=0, valeur__lte=20) | (~Q(etat="note") & Q(valeur__isnull=True))),
                name="note_valeur_coherente",
            ),
        ]

    def __str__(self):
        return f"{self.candidat.numero} {self.unite} : {self.affichage}"

    @property
    def affichage(self) -> str:
        if self.etat != self.Etat.NOTE:
            return self.etat
        return texte_note(self.etat, self.valeur)


def texte_note(etat: str, valeur) -> str:
    """« 14,00 », « 10,125 », « ABJ » : deux décimales au moins, sans rien tronquer."""
    if etat != Note.Etat.NOTE:
        return etat
    texte = f"{valeur:.3f}"
    return (texte[:-1] if texte.endswith("0") else texte).replace(".", ",")


class HistoriqueNote(models.Model):
    """Chaque écriture d'une note, avant → après : jamais modifié ni supprimé."""

    candidat = models.ForeignKey(Candidat, on_delete=models.CASCADE, related_name="historique_notes")
    unite = models.CharField(max_length=5)
    groupe = models.PositiveSmallIntegerField(default=1)
    avant = models.CharField(max_length=12, blank=True)
    apres = models.CharField(max_length=12, blank=True)
    origine = models.CharField(max_length=20, blank=True)
    source = models.CharField(max_length=40)  # « import », « saisie », « jury », « ccf »…
    motif = models.TextField(blank=True)
    auteur = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    date = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "historique de note"
        ordering = ["date", "id"]

    def __str__(self):
        return f"{self.unite} : {self.avant or '∅'} → {self.apres or '∅'}"


class Blocage(models.Model):
    """Raison extérieure qui empêche de délivrer le diplôme (posée par un autre module, ex. PFMP)."""

    candidat = models.ForeignKey(Candidat, on_delete=models.CASCADE, related_name="blocages")
    source = models.CharField(max_length=20)  # « pfmp »…
    motif = models.CharField(max_length=200)
    cree_le = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["candidat", "source"], name="blocage_unique")]

    def __str__(self):
        return f"{self.candidat.numero} : {self.motif}"


class Resultat(models.Model):
    """Résultat de la dernière délibération d'un candidat (la trace du calcul incluse)."""

    candidat = models.OneToOneField(Candidat, on_delete=models.CASCADE, related_name="resultat")
    decision = models.CharField(max_length=20)
    mention = models.CharField(max_length=2, blank=True)
    points = models.DecimalField(max_digits=8, decimal_places=3, null=True)
    moyenne = models.CharField(max_length=8, blank=True)  # tronquée à 2 décimales, pour l'affichage
    moyenne_exacte = models.CharField(max_length=40, blank=True)  # fraction exacte « 1999/200 »
    moyenne_professionnelle = models.CharField(max_length=8, blank=True)
    points_jury = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    controle_passe = models.BooleanField(default=False)
    trace = models.JSONField(default=list)
    calcule_le = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.candidat.numero} : {self.decision}"


class Journal(models.Model):
    """Journal d'audit en ajout seul : qui, quand, quoi, avant → après, pourquoi.

    Des déclencheurs PostgreSQL (migration 0002) refusent toute modification ou suppression de ses lignes :
    aucun chemin de code, l'admin compris, ne peut le réécrire. Les références sont des valeurs (année,
    numéro) et non des clés étrangères, pour que le journal survive aux objets qu'il décrit.
    """

    date = models.DateTimeField(auto_now_add=True, db_index=True)
    auteur = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=60)  # « note.modification », « deliberation.verrouillage »…
    session_annee = models.PositiveSmallIntegerField(null=True, db_index=True)
    candidat_numero = models.CharField(max_length=20, blank=True, db_index=True)
    objet = models.CharField(max_length=100, blank=True)  # « U31 », « grille 42 »…
    avant = models.JSONField(null=True, blank=True)
    apres = models.JSONField(null=True, blank=True)
    motif = models.TextField(blank=True)

    class Meta:
        verbose_name = "entrée du journal"
        verbose_name_plural = "journal d'audit"
        ordering = ["-date", "-id"]

    def __str__(self):
        return f"{self.date:%d/%m/%Y %H:%M} {self.auteur} {self.action} {self.objet}"
