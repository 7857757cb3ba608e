"""Formulaires PFMP : ils valident et normalisent (virgule décimale, SIRET, pays), les services écrivent."""

import datetime
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from agora.format import nombre
from agora.roles import ENSEIGNANT
from pfmp import regles_pfmp
from pfmp.models import CertificatTravail, Convention, DossierPfmp, Niveau, Organisation, choix_pays, erreur_siret
from referentiel.models import Activite


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class Semaines(forms.DecimalField):
    """Nombre de semaines : virgule ou point, une décimale au plus (« 3,5 »)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 4)
        kwargs.setdefault("decimal_places", 1)
        kwargs.setdefault("min_value", Decimal("0.1"))
        kwargs.setdefault("max_value", Decimal(22))
        kwargs.setdefault("localize", True)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "class": "champ-court"}))
        kwargs.setdefault(
            "error_messages",
            {
                "invalid": "Nombre de semaines attendu (ex. 4 ou 3,5).",
                "max_decimal_places": "Une décimale au plus (ex. 3,5).",
            },
        )
        super().__init__(**kwargs)


class ActivitesField(forms.ModelMultipleChoiceField):
    """Activités du référentiel de la session du candidat (le formulaire fixe le queryset)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        super().__init__(queryset=Activite.objects.none(), **kwargs)

    def label_from_instance(self, obj):
        return f"{obj.code} {obj.intitule}"


def activites_du(referentiel):
    return Activite.objects.filter(pole__referentiel=referentiel).order_by("code")


class AvecActivites:
    """Mélange : le queryset du champ `activites` est celui du référentiel passé au formulaire."""

    def __init__(self, *args, referentiel, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activites"].queryset = activites_du(referentiel)


class SiretField(forms.CharField):
    """SIRET saisi avec ou sans espaces (« 552 100 554 00013 ») : les espaces tombent avant toute vérification."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "SIRET")
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def to_python(self, value):
        return super().to_python(value).replace(" ", "")

    def validate(self, value):
        super().validate(value)
        if value and (message := erreur_siret(value)):
            raise forms.ValidationError(message)


class OrganisationForm(forms.ModelForm):
    siret = SiretField(help_text="14 chiffres (clé de Luhn vérifiée) ; obligatoire en France.")

    class Meta:
        model = Organisation
        fields = ["nom", "siret", "pays", "adresse", "code_postal", "ville", "secteur", "activite"]
        widgets = {"adresse": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pays"] = forms.ChoiceField(choices=choix_pays(), initial="FR", label="Pays")


class PeriodeForm(forms.Form):
    """Une période et sa convention (organisation, tuteur, référent, signature)."""

    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.order_by("nom"), label="Organisation d'accueil", empty_label="— choisir —"
    )
    date_debut = forms.DateField(label="Début", widget=DateInput())
    date_fin = forms.DateField(label="Fin", widget=DateInput())
    semaines = Semaines(label="Semaines prévues", required=False, help_text="Vide : semaines civiles de la période.")
    pays = forms.ChoiceField(label="Pays de la période", required=False, help_text="Vide : celui de l'organisation.")
    tuteur_nom = forms.CharField(label="Nom du tuteur", max_length=100, required=False)
    tuteur_prenom = forms.CharField(label="Prénom du tuteur", max_length=100, required=False)
    tuteur_fonction = forms.CharField(label="Fonction du tuteur", max_length=100, required=False)
    tuteur_email = forms.EmailField(label="Courriel du tuteur", required=False)
    referent = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), label="Enseignant référent", required=False, empty_label="—"
    )
    etat_convention = forms.ChoiceField(
        label="Signature", choices=Convention.Etat.choices, initial=Convention.Etat.A_SIGNER
    )
    date_signature = forms.DateField(label="Convention signée le", required=False, widget=DateInput())

    def __init__(self, *args, candidat, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidat = candidat
        self.fields["pays"].choices = [("", "—"), *choix_pays()]
        enseignants = get_user_model().objects.filter(groups__name=ENSEIGNANT).order_by("last_name", "username")
        if candidat.division_id:
            enseignants = enseignants.filter(divisions_enseignees=candidat.division_id)
        self.fields["referent"].queryset = enseignants.distinct()
        self.fields["referent"].label_from_instance = lambda u: u.get_full_name() or u.username

    def clean(self):
        donnees = super().clean()
        debut, fin = donnees.get("date_debut"), donnees.get("date_fin")
        if debut and fin:
            if fin < debut:
                self.add_error("date_fin", "La fin précède le début.")
            else:
                plafond = regles_pfmp.semaines_calendaires(debut, fin)
                semaines = donnees.get("semaines")
                if semaines is None:
                    donnees["semaines"] = min(plafond, Decimal(22))
                elif semaines > plafond:
                    self.add_error("semaines", f"Au plus {plafond} semaines civiles entre ces dates.")
        if donnees.get("etat_convention") == Convention.Etat.SIGNEE and not donnees.get("date_signature"):
            self.add_error("date_signature", "Indiquez la date de signature de la convention.")
        return donnees


def verifier_dates(form: forms.Form, donnees: dict) -> bool:
    """Dates d'une période attestée : la fin suit le début et les semaines tiennent entre les deux.

    Vrai quand les deux dates sont présentes et cohérentes ; sinon l'erreur est posée sur son champ.
    """
    debut, fin, semaines = donnees.get("date_debut"), donnees.get("date_fin"), donnees.get("semaines")
    if not (debut and fin):
        return False
    if fin < debut:
        form.add_error("date_fin", "La fin précède le début.")
        return False
    if semaines is not None and semaines > (plafond := regles_pfmp.semaines_calendaires(debut, fin)):
        form.add_error("semaines", f"Au plus {plafond} semaines civiles entre ces dates.")
        return False
    return True


class AttestationForm(AvecActivites, forms.Form):
    """Ce que le tuteur a rempli et signé à l'issue de la période (Annexe III, II.1)."""

    date_debut = forms.DateField(label="Début effectif", widget=DateInput())
    date_fin = forms.DateField(label="Fin effective", widget=DateInput())
    semaines = Semaines(label="Semaines effectuées")
    activites = ActivitesField(label="Activités réalisées (référentiel)")
    signataire = forms.CharField(label="Signataire (tuteur)", max_length=200, required=False)
    signee = forms.BooleanField(label="L'attestation est signée par le tuteur", required=False)
    date_signature = forms.DateField(label="Signée le", required=False, widget=DateInput())
    observations = forms.CharField(label="Observations", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        donnees = super().clean()
        verifier_dates(self, donnees)
        debut, signature = donnees.get("date_debut"), donnees.get("date_signature")
        if donnees.get("signee"):
            if signature is None:
                self.add_error("date_signature", "Indiquez la date de la signature du tuteur.")
            elif signature > timezone.localdate():
                self.add_error("date_signature", "Une signature ne peut pas être datée dans le futur.")
            elif debut and signature < debut:
                self.add_error("date_signature", "L'attestation se signe à l'issue de la période.")
        return donnees


class ConventionForm(forms.Form):
    etat = forms.ChoiceField(label="Convention", choices=Convention.Etat.choices)
    date_signature = forms.DateField(label="Signée le", required=False, widget=DateInput())

    def clean(self):
        donnees = super().clean()
        if donnees.get("etat") == Convention.Etat.SIGNEE and not donnees.get("date_signature"):
            self.add_error("date_signature", "Indiquez la date de signature de la convention.")
        return donnees


class CertificatForm(AvecActivites, forms.ModelForm):
    activites = ActivitesField(label="Activités du référentiel attestées")
    siret = SiretField()

    class Meta:
        model = CertificatTravail
        fields = ["employeur", "siret", "emploi", "quotite", "date_debut", "date_fin", "activites"]
        widgets = {"date_debut": DateInput(), "date_fin": DateInput(), "quotite": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quotite"].choices = CertificatTravail.Quotite.choices  # sans « choisir une option »

    def clean(self):
        donnees = super().clean()
        debut, fin = donnees.get("date_debut"), donnees.get("date_fin")
        if debut and fin and fin < debut:
            self.add_error("date_fin", "La fin précède le début.")
        if fin and fin > timezone.localdate():
            self.add_error("date_fin", "Un certificat de travail atteste un emploi passé : fin dans le futur.")
        if not donnees.get("activites"):
            self.add_error("activites", "Cochez les activités du référentiel que le certificat atteste (II.3.2).")
        return donnees


class DossierForm(forms.Form):
    voie = forms.ChoiceField(label="Voie (Annexe III)", required=False)
    semaines_positionnement = Semaines(label="Durée fixée par le positionnement (semaines)", required=False)
    date_positionnement = forms.DateField(label="Date de la décision du recteur", required=False, widget=DateInput())
    observations = forms.CharField(label="Observations", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, candidat, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidat = candidat
        voies = regles_pfmp.voies_possibles(candidat.statut)
        defaut = voies[0]
        self.fields["voie"].choices = [("", f"d'après le statut : {defaut.libelle}")] + [
            (v.value, v.libelle) for v in voies if v is not defaut
        ]

    def clean(self):
        donnees = super().clean()
        voie = regles_pfmp.Voie(donnees.get("voie") or regles_pfmp.voie_par_defaut(self.candidat.statut))
        semaines, date = donnees.get("semaines_positionnement"), donnees.get("date_positionnement")
        minimum = regles_pfmp.minimum_positionnement(voie)
        if semaines is not None:
            if minimum is None:
                self.add_error("semaines_positionnement", f"Sans objet pour la voie « {voie.libelle} ».")
            elif semaines < minimum:
                self.add_error(
                    "semaines_positionnement", f"Au moins {nombre(minimum)} semaines pour cette voie (II.5)."
                )
        elif date is not None:
            self.add_error("semaines_positionnement", "La décision fixe une durée : indiquez-la.")
        if date and date > timezone.localdate():
            self.add_error("date_positionnement", "La décision ne peut pas être datée dans le futur.")
        return donnees


def semaines_initiales(valeur: Decimal | None) -> Decimal | None:
    """« 8 » plutôt que « 8,0 » dans un champ prérempli."""
    if valeur is None or valeur != valeur.to_integral_value():
        return valeur
    return valeur.quantize(Decimal(1))


def initial_dossier(candidat, dossier: DossierPfmp | None) -> dict:
    return {
        "voie": dossier.voie if dossier else "",
        "semaines_positionnement": semaines_initiales(candidat.positionnement_semaines),
        "date_positionnement": dossier.date_positionnement if dossier else None,
        "observations": dossier.observations if dossier else "",
    }


class EvaluationForm(AvecActivites, forms.Form):
    """Document de liaison d'une période : un champ de niveau par compétence professionnelle du référentiel."""

    date_visite = forms.DateField(label="Date de la visite", required=False, widget=DateInput())
    tuteur = forms.CharField(label="Tuteur qui apprécie", max_length=200, required=False)
    activites = ActivitesField(label="Activités réalisées pendant la période")
    appreciation = forms.CharField(
        label="Appréciation générale du tuteur", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, competences, **kwargs):
        super().__init__(*args, **kwargs)
        self.competences = list(competences)
        for c in self.competences:
            self.fields[f"c{c.pk}"] = forms.ChoiceField(
                label=c.intitule,
                required=False,
                choices=[("", "non évaluée"), *Niveau.choices],
                widget=forms.RadioSelect,
            )

    def clean_date_visite(self):
        date = self.cleaned_data["date_visite"]
        if date and date > timezone.localdate() + datetime.timedelta(days=1):
            raise forms.ValidationError("La visite ne peut pas être datée dans le futur.")
        return date

    def niveaux(self) -> dict[int, str]:
        return {c.pk: self.cleaned_data.get(f"c{c.pk}", "") for c in self.competences}

    def champ(self, competence):
        return self[f"c{competence.pk}"]


class TuteurForm(EvaluationForm):
    """Ce que le tuteur remplit en ligne : dates et semaines réellement effectuées, absences, activités et
    compétences (le document de liaison), puis sa signature (nom, qualité, consentement)."""

    date_debut = forms.DateField(label="Début effectif", widget=DateInput())
    date_fin = forms.DateField(label="Fin effective", widget=DateInput())
    semaines = Semaines(label="Semaines effectuées")
    absences = forms.CharField(
        label="Absences",
        required=False,
        max_length=1000,
        help_text="Jours d'absence de l'élève pendant la période (vide : aucune).",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    nom = forms.CharField(label="Vos nom et prénom", max_length=150)
    qualite = forms.CharField(
        label="Votre qualité", max_length=150, help_text="Par exemple : tuteur, maître d'apprentissage, gérant."
    )
    consentement = forms.BooleanField(
        label="Je certifie exactes les informations ci-dessus et je signe électroniquement cette attestation.",
        error_messages={"required": "Cochez cette case pour signer."},
    )

    def __init__(self, *args, periode, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["date_visite"], self.fields["tuteur"]
        self.periode = periode

    def clean(self):
        donnees = super().clean()
        if verifier_dates(self, donnees) and donnees["date_debut"] > timezone.localdate():
            self.add_error("date_debut", "La période n'a pas commencé : l'attestation se signe à son issue.")
        return donnees


class LienTuteurForm(forms.Form):
    destinataire = forms.EmailField(label="Courriel du tuteur")
    jours = forms.IntegerField(label="Valable (jours)", min_value=1)

    def __init__(self, *args, jours_max: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jours"] = forms.IntegerField(
            label="Valable (jours)",
            min_value=1,
            max_value=jours_max,
            initial=jours_max,
            widget=forms.NumberInput(attrs={"class": "champ-court"}),
        )
