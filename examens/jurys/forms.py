"""Composer un jury : nom, établissements (ceux que l'auteur organise), président et membres."""

from django import forms
from django.contrib.auth import get_user_model

from agora.format import nom_utilisateur
from examens import perimetre
from examens.models import EtablissementJury


class _LibelleCompte:
    """« Claire Dubois (president) » : le nom, et l'identifiant qui départage deux homonymes."""

    def label_from_instance(self, u):
        return f"{nom_utilisateur(u)} ({u.username})"


class _Utilisateur(_LibelleCompte, forms.ModelChoiceField):
    pass


class _Utilisateurs(_LibelleCompte, forms.ModelMultipleChoiceField):
    pass


class _Etablissements(forms.ModelMultipleChoiceField):
    """Chaque établissement dit à quel jury de la session il appartient déjà : on voit ce qu'on déplacerait."""

    def __init__(self, *args, **kwargs):
        self.jury_de = {}
        super().__init__(*args, **kwargs)

    def label_from_instance(self, e):
        jury = self.jury_de.get(e.pk)
        return f"{e.nom} ({e.uai})" + (f" — jury {jury}" if jury else "")


class JuryForm(forms.Form):
    nom = forms.CharField(
        label="Nom du jury",
        max_length=100,
        help_text="Par exemple : Paris-Est, centre Jean Jaurès.",
        error_messages={"required": "Donnez un nom au jury."},
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    etablissements = _Etablissements(
        label="Établissements",
        queryset=None,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={"required": "Choisissez au moins un établissement."},
    )
    president = _Utilisateur(
        label="Président",
        queryset=None,
        required=False,
        empty_label="— à désigner —",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    membres = _Utilisateurs(
        label="Membres",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, auteur, session, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["etablissements"].queryset = perimetre.etablissements_organisables(auteur).order_by("nom")
        self.fields["etablissements"].jury_de = dict(
            EtablissementJury.objects.filter(session=session).values_list("etablissement_id", "jury__nom")
        )
        # Les comptes du rôle jury : on ne nomme pas au jury un compte qui ne pourrait pas y délibérer.
        jures = get_user_model().objects.filter(is_active=True, groups__name="jury").order_by("last_name", "username")
        self.fields["president"].queryset = jures
        self.fields["membres"].queryset = jures
