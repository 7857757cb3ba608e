"""Le règlement d'examen (Annexe II b), les sessions, les candidats et leurs notes.

Le mode d'évaluation d'un candidat n'est jamais saisi : il découle de son statut (→ catégorie,
les trois colonnes de l'Annexe II b) et du règlement de la session.

Longueur : le règlement, la session, le candidat, la note et le résultat se désignent les uns les autres et se
lisent ensemble (docs/architecture.md) ; les modèles propres à une capacité vivent dans leur sous-paquet.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q

from agora.format import texte_decimal
from examens import identifiants, regles


class ReglementExamen(models.Model):
    code = models.CharField(max_length=30, unique=True)
    referentiel = models.ForeignKey("referentiel.Referentiel", on_delete=models.PROTECT, related_name="reglements")
    session_debut = models.PositiveSmallIntegerField("première session")
    session_fin = models.PositiveSmallIntegerField("dernière session", null=True, blank=True)
    regles = models.JSONField("règles de session", default=dict)
    # Semaines de PFMP par voie quand cette version les redéfinit (« scolaire_3_ans »…) ; vide : l'Annexe III.
    pfmp = models.JSONField("durées de PFMP", default=dict, blank=True)
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
            ("gerer_jurys", "Peut organiser les jurys et les échéances de la session"),
        ]

    def __str__(self):
        return f"Session {self.annee}"


# Collation ICU française (créée par la migration examens 0014) : les noms se trient comme dans un annuaire,
# « ÉTIENNE » avant « VINCENT » et « Bélarus » avant « Burundi » ; voir « Tri à la française » dans le README.
COLLATION_FRANCAISE = "fr_icu"


class Etablissement(models.Model):
    uai = models.CharField("UAI", max_length=8, unique=True, validators=[identifiants.valider_uai])
    nom = models.CharField(max_length=200, db_collation=COLLATION_FRANCAISE)
    ville = models.CharField(max_length=100, blank=True)
    academie = models.ForeignKey(
        "examens.Academie", on_delete=models.PROTECT, null=True, blank=True, related_name="etablissements"
    )
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
        """Les candidats que `user` lit : la règle est dans `examens.perimetre`, avec celle des écritures."""
        from examens import perimetre  # perimetre importe ce module

        return perimetre.candidats_visibles(user, self)

    def de_session(self, session):
        return self.filter(session=session)

    def ouverts(self):
        """Les candidats dont la délibération n'est pas verrouillée (ni leur session, ni le jury qui les couvre)."""

        verrouille = EtablissementJury.objects.filter(
            jury__verrouille=True, session_id=OuterRef("session_id"), etablissement_id=OuterRef("etablissement_id")
        )
        return self.filter(session__verrouillee=False).exclude(Exists(verrouille))


class Candidat(models.Model):
    class Forme(models.TextChoices):
        GLOBALE = "globale", "globale"
        PROGRESSIVE = "progressive", "progressive"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="candidats")
    numero = models.CharField("numéro de candidat", max_length=20)
    nom = models.CharField(max_length=100, db_collation=COLLATION_FRANCAISE)
    prenom = models.CharField("prénom", max_length=100, db_collation=COLLATION_FRANCAISE)
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
    # Titre qui ouvre des dispenses (D337-71, arrêté du 8/11/2012) : regles.UNITES_DISPENSABLES.
    titre_dispense = models.CharField(
        "titre donnant droit à dispense",
        max_length=12,
        blank=True,
        choices=[
            ("bac", "baccalauréat (ou BT, BMA…) ou diplôme supérieur"),
            ("bac_pro", "autre baccalauréat professionnel"),
            ("eps_medical", "certificat médical d'inaptitude à l'EPS"),
        ],
    )
    # Date de la décision de positionnement (Annexe III) : sans elle, la durée réduite n'est pas justifiée.
    positionnement_date = models.DateField("date de la décision de positionnement", null=True, blank=True)
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
    return etat if etat != Note.Etat.NOTE else texte_decimal(valeur)


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


class DecisionResultat(models.TextChoices):
    """Les décisions du moteur (regles.Decision) avec leur unique table de libellés."""

    ADMIS = regles.Decision.ADMIS.value, regles.Decision.ADMIS.libelle
    CONTROLE = regles.Decision.CONTROLE.value, regles.Decision.CONTROLE.libelle
    AJOURNE = regles.Decision.AJOURNE.value, regles.Decision.AJOURNE.libelle
    REMPLACEMENT = regles.Decision.REMPLACEMENT.value, regles.Decision.REMPLACEMENT.libelle
    NON_DELIVRABLE = regles.Decision.NON_DELIVRABLE.value, regles.Decision.NON_DELIVRABLE.libelle
    INCOMPLET = regles.Decision.INCOMPLET.value, regles.Decision.INCOMPLET.libelle


class MentionResultat(models.TextChoices):
    AB = regles.Mention.AB.value, regles.Mention.AB.libelle
    B = regles.Mention.B.value, regles.Mention.B.libelle
    TB = regles.Mention.TB.value, regles.Mention.TB.libelle


class Resultat(models.Model):
    """Le résultat courant d'un candidat, toujours égal au calcul de ses données (examens.resultats).

    Chaque écriture qui change une entrée (note, option, blocage, points du jury…) le recalcule dans sa propre
    transaction. ``empreinte`` est le SHA-256 des entrées dont il a été calculé : un document émis la garde, et
    `manage.py verifier_resultats` recalcule tout pour vérifier qu'aucun résultat ne diffère de ses données.
    Les moyennes affichées sont tronquées à deux décimales ; la décision repose sur ``moyenne_exacte``.
    """

    candidat = models.OneToOneField(Candidat, on_delete=models.CASCADE, related_name="resultat")
    decision = models.CharField(max_length=20, choices=DecisionResultat.choices)
    mention = models.CharField(max_length=2, blank=True, choices=MentionResultat.choices)
    points = models.DecimalField(max_digits=8, decimal_places=3, null=True)
    moyenne = models.DecimalField("moyenne (tronquée)", max_digits=5, decimal_places=2, null=True, blank=True)
    moyenne_exacte = models.CharField(max_length=40, blank=True)  # fraction exacte « 1999/200 »
    moyenne_professionnelle = models.DecimalField(
        "moyenne professionnelle (tronquée)", max_digits=5, decimal_places=2, null=True, blank=True
    )
    points_jury = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    controle_passe = models.BooleanField(default=False)
    trace = models.JSONField(default=list)
    empreinte = models.CharField("empreinte SHA-256 des données du calcul", max_length=64, blank=True)
    # Ce qui ne compte pas et pourquoi (« UF1 mobilité non recevable : … ») : montré sur les pages, jamais tu.
    remarques = models.JSONField(default=list, blank=True)
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


# ---------------------------------------------------------------------------------------------------
# Grilles d'évaluation CCF (E31, E32, E2 ; E31/E32 ponctuels) : gabarits versionnés, commissions, grilles.
# La logique (conversion, contrôles, écritures) est dans examens/ccf/.
# ---------------------------------------------------------------------------------------------------


class GabaritGrille(models.Model):
    """Modèle de grille d'une épreuve, en données versionnées (fixtures/grilles/*.json).

    Les lignes viennent du référentiel (une par compétence du bloc de l'épreuve) ; le fichier ne porte que
    l'échelle de maîtrise, la conversion en note et son arrondi : la grille nationale n'ayant pas été
    retrouvée, on la remplace en chargeant une nouvelle version, sans toucher au code.
    """

    class Conversion(models.TextChoices):
        PROPORTIONNELLE = "proportionnelle", "20 × points obtenus / points possibles des lignes évaluées"

    class Arrondi(models.TextChoices):
        DEMI_POINT = "demi_point", "au demi-point le plus proche"
        DEMI_POINT_SUPERIEUR = "demi_point_superieur", "au demi-point supérieur"
        POINT = "point", "au point le plus proche"
        CENTIEME = "centieme", "au centième"

    code = models.CharField(max_length=40)
    version = models.PositiveSmallIntegerField()
    referentiel = models.ForeignKey("referentiel.Referentiel", on_delete=models.PROTECT, related_name="gabarits_grille")
    epreuve = models.CharField("épreuve", max_length=5)  # « E31 » : code de l'épreuve du règlement
    intitule = models.TextField("intitulé")
    source = models.TextField(blank=True)
    situations = models.PositiveSmallIntegerField("situations d'évaluation", default=1)
    formes = models.JSONField("formes couvertes", default=list)  # ["ccf", "ponctuel"]
    echelle = models.JSONField("échelle de maîtrise", default=list)  # [{code, libelle, points, touche}]
    conversion = models.CharField(max_length=20, choices=Conversion.choices)
    arrondi = models.CharField(max_length=25, choices=Arrondi.choices)
    pieces = models.JSONField("pièces du dossier", default=list)  # [{code, libelle}]
    compositions = models.JSONField("compositions de commission admises", default=list)
    composition_texte = models.TextField("composition de la commission", blank=True)
    # Règle de couverture (grilles.Couverture), ex. {"par_activite": 1, "part_minimale": "2/3"} ; vide : par défaut.
    couverture = models.JSONField("règle de couverture du bloc", default=dict, blank=True)
    empreinte = models.CharField("empreinte SHA-256 du fichier chargé", max_length=64)
    charge_le = models.DateTimeField("chargé le", auto_now_add=True)

    class Meta:
        verbose_name = "gabarit de grille"
        verbose_name_plural = "gabarits de grille"
        ordering = ["epreuve", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="gabarit_grille_unique"),
            models.CheckConstraint(condition=Q(situations__in=[1, 2]), name="gabarit_grille_situations"),
        ]

    def __str__(self):
        return f"{self.code} v{self.version}"


class LigneGabarit(models.Model):
    gabarit = models.ForeignKey(GabaritGrille, on_delete=models.CASCADE, related_name="lignes")
    ordre = models.PositiveSmallIntegerField()
    competence = models.ForeignKey("referentiel.Competence", on_delete=models.PROTECT, related_name="lignes_grille")

    class Meta:
        verbose_name = "ligne de gabarit"
        ordering = ["gabarit", "ordre"]
        constraints = [models.UniqueConstraint(fields=["gabarit", "ordre"], name="ligne_gabarit_unique")]

    def __str__(self):
        return f"{self.gabarit} ligne {self.ordre}"


class CommissionQuerySet(models.QuerySet):
    def visibles_par(self, user):
        """Les commissions que `user` lit : la règle est dans `examens.perimetre`."""
        from examens import perimetre  # perimetre importe ce module

        return perimetre.commissions_visibles(user, self)


class Commission(models.Model):
    """Commission d'évaluation d'une sous-épreuve pour une ou plusieurs divisions d'un établissement."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="commissions")
    etablissement = models.ForeignKey(Etablissement, on_delete=models.CASCADE, related_name="commissions")
    gabarit = models.ForeignKey(GabaritGrille, on_delete=models.PROTECT, related_name="commissions")
    nom = models.CharField(max_length=100, blank=True)
    divisions = models.ManyToManyField(Division, related_name="commissions")
    membres = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="MembreCommission", related_name="commissions_ccf"
    )
    creee_le = models.DateTimeField(auto_now_add=True)

    objects = CommissionQuerySet.as_manager()

    class Meta:
        verbose_name = "commission d'évaluation"
        verbose_name_plural = "commissions d'évaluation"
        ordering = ["session", "etablissement__nom", "gabarit__epreuve", "nom", "pk"]

    def __str__(self):
        return f"{self.gabarit.epreuve} {self.nom}".strip()


class MembreCommission(models.Model):
    class Qualite(models.TextChoices):
        ENSEIGNANT = "enseignant", "enseignant"
        PROFESSIONNEL = "professionnel", "professionnel"

    commission = models.ForeignKey(Commission, on_delete=models.CASCADE, related_name="membres_commission")
    utilisateur = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    qualite = models.CharField("qualité", max_length=15, choices=Qualite.choices)

    class Meta:
        verbose_name = "membre de commission"
        ordering = ["commission", "qualite", "utilisateur__last_name", "utilisateur__username"]
        constraints = [models.UniqueConstraint(fields=["commission", "utilisateur"], name="membre_commission_unique")]

    def __str__(self):
        return f"{self.utilisateur} ({self.get_qualite_display()})"


class Grille(models.Model):
    """La grille d'un candidat pour une situation d'une sous-épreuve : brouillon → validée → transmise → arrêtée."""

    class Etat(models.TextChoices):
        BROUILLON = "brouillon", "brouillon"
        VALIDEE = "validee", "validée par la commission"
        TRANSMISE = "transmise", "transmise au jury"
        ARRETEE = "arretee", "arrêtée par le jury"

    class Forme(models.TextChoices):
        CCF = "ccf", "CCF"
        PONCTUEL = "ponctuel", "ponctuel"

    commission = models.ForeignKey(Commission, on_delete=models.PROTECT, related_name="grilles")
    candidat = models.ForeignKey(Candidat, on_delete=models.CASCADE, related_name="grilles")
    gabarit = models.ForeignKey(GabaritGrille, on_delete=models.PROTECT, related_name="grilles")
    epreuve = models.CharField("épreuve", max_length=5)  # copie de gabarit.epreuve, pour l'unicité
    situation = models.PositiveSmallIntegerField(default=1)
    forme = models.CharField(max_length=10, choices=Forme.choices)
    etat = models.CharField("état", max_length=10, choices=Etat.choices, default=Etat.BROUILLON)
    # Incrémentée à chaque écriture : le navigateur renvoie celle qu'il a modifiée (contrôle de concurrence).
    version = models.PositiveIntegerField(default=0)
    date_situation = models.DateField("date de la situation", null=True, blank=True)
    appreciation = models.TextField("appréciation générale", blank=True)
    pieces = models.JSONField("pièces du dossier présentes", default=dict, blank=True)
    dossier_non_produit = models.BooleanField("dossier non produit", default=False)
    justificatifs_manquants = models.BooleanField("justificatifs administratifs manquants", default=False)
    note_suggeree = models.DecimalField("note suggérée", max_digits=4, decimal_places=2, null=True, blank=True)
    # None : la note proposée est la note suggérée ; une autre valeur demande une justification.
    note_proposee = models.DecimalField("note proposée", max_digits=4, decimal_places=2, null=True, blank=True)
    justification = models.TextField("justification de l'écart", blank=True)
    note_commission = models.DecimalField(
        "note transmise par la commission", max_digits=4, decimal_places=2, null=True, blank=True
    )
    note_jury = models.DecimalField("note arrêtée par le jury", max_digits=4, decimal_places=2, null=True, blank=True)
    motif_jury = models.TextField("motif du jury", blank=True)
    modifiee_le = models.DateTimeField(auto_now=True)
    modifiee_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["candidat", "epreuve", "situation"]
        constraints = [
            models.UniqueConstraint(fields=["candidat", "epreuve", "situation"], name="grille_unique"),
            models.CheckConstraint(condition=Q(situation__in=[1, 2]), name="grille_situation"),
            models.CheckConstraint(
                condition=~Q(dossier_non_produit=True, justificatifs_manquants=True), name="grille_un_seul_motif"
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{champ}__isnull": True}) | Q(**{f"{champ}__gte": 0, f"{champ}__lte": 20}),
                    name=f"grille_{champ}_sur_20",
                )
                for champ in ("note_suggeree", "note_proposee", "note_commission", "note_jury")
            ),
        ]

    def __str__(self):
        return f"{self.candidat.numero} {self.epreuve} situation {self.situation} ({self.etat})"


class EvaluationCompetence(models.Model):
    grille = models.ForeignKey(Grille, on_delete=models.CASCADE, related_name="evaluations")
    ligne = models.ForeignKey(LigneGabarit, on_delete=models.PROTECT, related_name="+")
    niveau = models.CharField(max_length=10, blank=True)  # code du niveau de l'échelle du gabarit ; "" : à saisir
    observation = models.TextField(blank=True)

    class Meta:
        verbose_name = "évaluation d'une compétence"
        ordering = ["grille", "ligne__ordre"]
        constraints = [models.UniqueConstraint(fields=["grille", "ligne"], name="evaluation_competence_unique")]

    def __str__(self):
        return f"{self.grille} ligne {self.ligne.ordre} : {self.niveau or '—'}"


class ValidationGrille(models.Model):
    """Confirmation d'un membre de la commission, avec son propre compte ; effacée par toute modification."""

    grille = models.ForeignKey(Grille, on_delete=models.CASCADE, related_name="validations")
    membre = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    date = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "confirmation de grille"
        constraints = [models.UniqueConstraint(fields=["grille", "membre"], name="validation_grille_unique")]

    def __str__(self):
        return f"{self.grille} confirmée par {self.membre}"


class HistoriqueGrille(models.Model):
    """Chaque changement d'une grille, avant → après : un déclencheur (migration) refuse toute modification.

    La suppression reste possible avec la grille elle-même (purge des données personnelles) ; les étapes
    du circuit (validation, transmission, arrêt) sont en plus écrites dans le Journal, qui survit à tout.
    Les auteurs sont des valeurs (identifiant, nom) pour qu'aucune ligne n'ait à changer.
    """

    grille = models.ForeignKey(Grille, on_delete=models.CASCADE, related_name="historique")
    date = models.DateTimeField(auto_now_add=True)
    auteur = models.CharField(max_length=150, blank=True)
    auteur_nom = models.CharField(max_length=300, blank=True)
    action = models.CharField(max_length=30)  # « niveau », « observation », « transmission »…
    objet = models.CharField(max_length=200, blank=True)  # « compétence 3 »…
    avant = models.TextField(blank=True)
    apres = models.TextField(blank=True)
    motif = models.TextField(blank=True)

    LIBELLES = {
        "niveau": "niveau",
        "observation": "observation",
        "piece": "pièce du dossier",
        "date_situation": "date de la situation",
        "note_proposee": "note proposée",
        "appreciation": "appréciation générale",
        "justification": "justification de l'écart",
        "dossier_non_produit": "dossier non produit",
        "justificatifs_manquants": "justificatifs manquants",
        "confirmation": "confirmation",
        "confirmations": "confirmations",
        "etat": "état",
        "arret": "arrêt par le jury",
    }

    class Meta:
        verbose_name = "historique de grille"
        ordering = ["date", "id"]

    def __str__(self):
        return f"{self.action} {self.objet} : {self.avant or '∅'} → {self.apres or '∅'}"

    @property
    def libelle_action(self) -> str:
        return self.LIBELLES.get(self.action, self.action)


# ---------------------------------------------------------------------------------------------------
# Documents PDF : documents émis (instantanés immuables) et exports par lots.
# Les écritures sont dans examens/documents/ (emission, lots), le rendu dans agora/pdf.py,
# les tâches dans examens/tasks.py.
# ---------------------------------------------------------------------------------------------------


class DocumentImmuable(Exception):
    """Un document émis ne se modifie ni ne se supprime : on en émet une nouvelle version."""


class DocumentEmis(models.Model):
    """Relevé de notes ou procès-verbal émis après le verrouillage : le fichier et les données qu'il imprime.

    Un instantané, comme une facture : on le sert tel quel et on ne le re-rend jamais depuis des lignes qui ont
    pu changer. delete() refuse et un déclencheur PostgreSQL (migration documents_pdf) refuse UPDATE et DELETE.
    Une correction est une nouvelle version qui désigne la précédente. Les références sont des valeurs (année,
    numéro, UAI) et non des clés étrangères, pour que le document survive aux lignes qu'il décrit.
    """

    class Type(models.TextChoices):
        RELEVE = "releve", "relevé de notes"
        PROCES_VERBAL = "pv", "procès-verbal de délibération"

    type = models.CharField(max_length=10, choices=Type.choices)
    session_annee = models.PositiveSmallIntegerField("session")
    # Relevé : le numéro du candidat ; procès-verbal : « tous » ou les UAI du périmètre, triées, séparées par « , ».
    objet = models.CharField(max_length=250)
    version = models.PositiveSmallIntegerField(default=1)
    precedent = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="correction")
    donnees = models.JSONField("données imprimées")
    contenu = models.BinaryField("fichier PDF")
    sha256 = models.CharField("empreinte SHA-256 du fichier", max_length=64)
    pages = models.PositiveIntegerField()
    taille = models.PositiveIntegerField("taille (octets)")
    emis_le = models.DateTimeField("émis le", auto_now_add=True)
    emis_par = models.CharField("émis par", max_length=150, blank=True)
    motif = models.TextField("motif de la nouvelle version", blank=True)

    class Meta:
        verbose_name = "document émis"
        verbose_name_plural = "documents émis"
        ordering = ["type", "session_annee", "objet", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["type", "session_annee", "objet", "version"], name="document_emis_unique"),
            models.CheckConstraint(
                condition=Q(version=1, precedent__isnull=True) | Q(version__gt=1, precedent__isnull=False),
                name="document_emis_version_chainee",
            ),
        ]

    def __str__(self):
        return self.reference

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise DocumentImmuable("Un document émis ne se modifie pas : émettez une nouvelle version.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise DocumentImmuable("Un document émis ne se supprime pas : émettez une nouvelle version.")

    @property
    def reference(self) -> str:
        """« RN-2026-T0000001-v1 », « PV-2026-v2 » (session entière), « PV-2026-0750001A+0930122B-v1 »."""
        if self.type == self.Type.RELEVE:
            return f"RN-{self.session_annee}-{self.objet}-v{self.version}"
        uais = [] if self.objet == "tous" else self.objet.split(",")
        objet = "+".join(uais) if len(uais) <= 3 else f"{len(uais)}etab"
        return "-".join(x for x in ("PV", str(self.session_annee), objet, f"v{self.version}") if x)


class ExportLot(models.Model):
    """Un export par lots (grilles, relevés, procès-verbal) rendu par les workers procrastinate.

    Les fichiers sont rangés en base (FichierExport) : des workers sur plusieurs machines et le serveur web
    partagent ainsi les résultats sans dossier commun. Le ZIP se construit à la volée au téléchargement.
    """

    class Type(models.TextChoices):
        GRILLES = "grilles", "grilles d'évaluation"
        RELEVES = "releves", "relevés de notes"
        PROCES_VERBAL = "pv", "procès-verbal de délibération"

    class Etat(models.TextChoices):
        EN_ATTENTE = "en_attente", "en attente d'un worker"
        EN_COURS = "en_cours", "en cours"
        ASSEMBLAGE = "assemblage", "assemblage du PDF unique"
        TERMINE = "termine", "terminé"
        ECHEC = "echec", "échec"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="exports")
    type = models.CharField(max_length=10, choices=Type.choices)
    division = models.ForeignKey(Division, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    epreuve = models.CharField("épreuve", max_length=5, blank=True)
    fusionner = models.BooleanField("aussi un PDF unique", default=False)
    demande_par = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    demande_le = models.DateTimeField("demandé le", auto_now_add=True)
    etat = models.CharField("état", max_length=12, choices=Etat.choices, default=Etat.EN_ATTENTE)
    cles = models.JSONField(default=list, blank=True)  # pk des grilles ou des candidats, dans l'ordre du lot
    total = models.PositiveIntegerField(default=0)
    faits = models.PositiveIntegerField(default=0)  # documents traités, réussis ou en échec
    echecs = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    erreurs = models.JSONField(default=list, blank=True)  # [« nom du document : message »]
    debut = models.DateTimeField(null=True, blank=True)
    fin = models.DateTimeField(null=True, blank=True)
    fusion = models.BinaryField("PDF unique", null=True, blank=True)

    class Meta:
        verbose_name = "export de documents"
        verbose_name_plural = "exports de documents"
        ordering = ["-demande_le", "-id"]
        constraints = [models.CheckConstraint(condition=Q(faits__lte=models.F("total")), name="export_faits_total")]

    def __str__(self):
        return f"Export {self.get_type_display()} {self.session.annee} n° {self.pk}"

    @property
    def pourcentage(self) -> int:
        return 100 if not self.total else round(100 * self.faits / self.total)

    @property
    def fini(self) -> bool:
        return self.etat in (self.Etat.TERMINE, self.Etat.ECHEC)

    @property
    def duree(self) -> float | None:
        """Secondes entre la première tranche prise par un worker et la fin du lot."""
        return (self.fin - self.debut).total_seconds() if self.debut and self.fin else None

    @property
    def pages_par_seconde(self) -> float | None:
        return self.pages / self.duree if self.duree else None


class FichierExport(models.Model):
    lot = models.ForeignKey(ExportLot, on_delete=models.CASCADE, related_name="fichiers")
    rang = models.PositiveIntegerField()  # ordre dans le ZIP et dans le PDF unique
    nom = models.CharField(max_length=200)  # chemin dans le ZIP
    contenu = models.BinaryField()
    pages = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = "fichier d'un export"
        ordering = ["lot", "rang"]
        constraints = [models.UniqueConstraint(fields=["lot", "rang"], name="fichier_export_unique")]

    def __str__(self):
        return self.nom


class EchecExport(models.Model):
    """Un document d'un lot qui n'a pas pu être produit : une ligne par rang, au plus.

    L'avancement d'un lot se compte sur ces lignes et sur les fichiers (FichierExport), jamais en incrémentant :
    une tranche rejouée après la mort d'un worker ne compte pas deux fois le même document.
    """

    lot = models.ForeignKey(ExportLot, on_delete=models.CASCADE, related_name="echecs_documents")
    rang = models.PositiveIntegerField()
    message = models.CharField(max_length=300)

    class Meta:
        verbose_name = "document non produit d'un export"
        ordering = ["lot", "rang"]
        constraints = [models.UniqueConstraint(fields=["lot", "rang"], name="echec_export_unique")]

    def __str__(self):
        return self.message


class JournalArchive(models.Model):
    """Entrées de journal venues d'un fichier de sauvegarde : une copie archivée, jamais le journal authentique.

    Le Journal ne contient que ce que cette base a vu se produire. Une restauration n'y écrit pas les lignes du
    fichier (elles pourraient être forgées ou antidatées par qui détient la clé) : elle les range ici, marquées
    par le fichier et l'instant de la restauration. Table séparée plutôt qu'un drapeau dans Journal, pour
    qu'aucune lecture du journal ne puisse les confondre avec les siennes. Ajout seul (déclencheurs, migration
    journal_archive), comme le journal.
    """

    date = models.DateTimeField("date déclarée")
    auteur = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=60)
    session_annee = models.PositiveSmallIntegerField(null=True, db_index=True)
    candidat_numero = models.CharField(max_length=20, blank=True)
    objet = models.CharField(max_length=100, blank=True)
    avant = models.JSONField(null=True, blank=True)
    apres = models.JSONField(null=True, blank=True)
    motif = models.TextField(blank=True)
    id_origine = models.BigIntegerField("clé dans la base d'origine")
    fichier = models.CharField("fichier de sauvegarde", max_length=255)
    fichier_sha256 = models.CharField("empreinte du fichier", max_length=64)
    restaure_le = models.DateTimeField("restauré le")

    class Meta:
        verbose_name = "entrée de journal archivée (restaurée)"
        verbose_name_plural = "journal archivé (restauré)"
        ordering = ["-date", "-id"]

    def __str__(self):
        return f"[archive {self.fichier}] {self.date:%d/%m/%Y %H:%M} {self.auteur} {self.action} {self.objet}"


class ApercuImport(models.Model):
    """Un fichier d'import entre son aperçu et sa confirmation (examens.apercus) : dans la base, pas sur un disque."""

    jeton = models.CharField(max_length=32, unique=True)
    suffixe = models.CharField(max_length=8)
    contenu = models.BinaryField()
    cree_le = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "aperçu d'import"

    def __str__(self):
        return self.jeton


# Sous-paquets qui portent leurs modèles : organisation du CCF (situations, passages, aménagements) dans
# examens/organisation/models.py ; échéances de saisie, réouvertures, propositions dans examens/echeances/models.py.
from examens.echeances.models import (  # noqa: E402, F401
    Echeance,
    PropositionNote,
    Reouverture,
)

# Académies et jurys (qui délibère pour quels établissements) : voir examens/jurys/models.py.
from examens.jurys.models import Academie, EtablissementJury, Jury  # noqa: E402, F401
from examens.organisation.models import (  # noqa: E402, F401
    Amenagement,
    ConformiteDossier,
    Passage,
    ProductionEcrite,
    Situation,
)
