"""Portal pages of the knowledge base, emergency plans and drills, consultations and complaints.

Everything starts from ``restrict(user)``: another organisation's object is a 404. Changing
needs the concern's action on the object's contract, else 403.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from contracts.forms import DATE
from contracts.models import Contract
from contracts.scoping import FILE_COMPLAINT, MANAGE_KNOWLEDGE, RECORD_CONSULTATION, can
from incidents import knowledge as services
from incidents.filters import (
    ComplaintFilterSet,
    ConsultationFilterSet,
    EmergencyPlanFilterSet,
    KnowledgeArticleFilterSet,
)
from incidents.models import Complaint, Consultation, Drill, EmergencyPlan, Incident, KnowledgeArticle
from om_portal.filtering import list_filters
from om_portal.validators import plausible_moment

PAGE_SIZE = 25
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


# --- Forms ----------------------------------------------------------------------------------------


class ContractOwnedForm(forms.ModelForm):
    """The contract is chosen among those where the user holds ``action``, and fixed once saved."""

    action = ""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.allowed = Contract.objects.restrict(user, self.action)
        self.fields["contract"].queryset = self.allowed
        self.fields["contract"].to_field_name = "code"
        if self.instance.pk:
            self.fields["contract"].disabled = True
            self.initial["contract"] = self.instance.contract.code  # by code, like a new one
        elif not self.initial.get("contract"):
            # Most users serve one contract: spare them a choice on the tablet.
            only = list(self.allowed[:2])
            if len(only) == 1:
                self.initial["contract"] = only[0].code


class ArticleForm(ContractOwnedForm):
    action = MANAGE_KNOWLEDGE

    page = ("incidents/knowledge_form.html", "knowledge")  # template, section

    class Meta:
        model = KnowledgeArticle
        fields = ["contract", "title", "status", "system", "asset_kind", "background", "symptoms", "solution"]


class PlanForm(ContractOwnedForm):
    action = MANAGE_KNOWLEDGE

    page = ("incidents/plan_form.html", "plans")  # template, section

    class Meta:
        model = EmergencyPlan
        fields = ["contract", "category", "title", "version", "trigger_conditions", "steps", "contacts"]


class DrillForm(forms.ModelForm):
    class Meta:
        model = Drill
        fields = ["date", "scenario", "participants", "findings", "follow_ups"]
        widgets = {"date": DATE}


class ConsultationForm(ContractOwnedForm):
    action = RECORD_CONSULTATION

    page = ("incidents/consultation_form.html", "consultations")  # template, section

    class Meta:
        model = Consultation
        fields = [
            "contract",
            "channel",
            "asker_name",
            "asker_unit",
            "question",
            "asked_at",
            "engineer",
            "answered",
            "replied_at",
            "answer",
        ]
        widgets = {"asked_at": DATETIME, "replied_at": DATETIME}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["engineer"].queryset = services.vendor_engineers(self.allowed)
        self.fields["engineer"].label_from_instance = lambda user: user.get_full_name() or user.username
        for name in ("asked_at", "replied_at"):
            self.fields[name].validators.append(plausible_moment)

    def after_save(self, obj, user):
        # The reply's deadline under the contract's rule; a late reply is a breach at once.
        services.settle_consultation(obj, by=user)

    def clean(self):
        data = super().clean()
        names = ["contract", "engineer", "answered", "asked_at", "replied_at"]
        for field, message in services.consultation_errors(*(data.get(n) for n in names)).items():
            self.add_error(field, message)
        return data


class ComplaintForm(ContractOwnedForm):
    action = FILE_COMPLAINT

    page = ("incidents/complaint_form.html", "complaints")  # template, section

    class Meta:
        model = Complaint
        fields = ["contract", "subject", "description"]

    def clean(self):
        data = super().clean()
        if data.get("contract") and not self.instance.pk:
            try:
                sides = services.complaint_sides(self.user, data["contract"])
            except ValidationError as error:
                raise forms.ValidationError(error.messages) from None
            self.instance.filed_by_side, self.instance.against_side = sides
            self.instance.filed_by = self.user
        return data


class DecisionForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[(s.value, s.label) for s in (Complaint.Status.UPHELD, Complaint.Status.DISMISSED)],
    )
    note = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea)


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=gettext_lazy("Answer"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )


class StatsForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), widget=DATE)
    end = forms.DateField(label=gettext_lazy("To"), widget=DATE)
    hours = forms.IntegerField(
        label=gettext_lazy("Timely within (hours)"),
        min_value=1,
        max_value=24 * 30,
        required=False,
        help_text=gettext_lazy("Empty: the contract's own rule for general questions."),
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The period cannot end before it starts."))
        return data


# --- Shared steps ---------------------------------------------------------------------------------


def _list_page(request, queryset, filterset_class, template, action, section, **context):
    """A list filtered by the model's filterset (the API's too), paginated."""
    rows = list_filters(request, filterset_class, queryset).rows
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        template,
        {
            "page": page,
            "section": section,
            "contracts": Contract.objects.restrict(request.user).only("code", "title"),
            "can_add": Contract.objects.restrict(request.user, action).exists(),
            "filtered": any(value for key, value in request.GET.items() if key != "page"),
            **context,
        },
    )


def _editable(request, queryset, pk, action):
    """The object if the user sees it (``queryset`` is restricted: else 404) and may change it
    (else 403)."""
    obj = get_object_or_404(queryset, pk=pk)
    if not can(request.user, action, obj.contract):
        raise PermissionDenied
    return obj


def _form_page(request, form_class, instance, action, back, title, initial=None, **extra):
    """Add (``instance`` None) or edit a contract-owned object; ``extra`` fills fields left empty."""
    if instance is None and not Contract.objects.restrict(request.user, action).exists():
        raise PermissionDenied
    initial = {**(initial or {}), "contract": request.GET.get("contract")} if instance is None else None
    form = form_class(request.POST or None, instance=instance, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            obj = form.save(commit=False)
            for field, value in extra.items():
                if getattr(obj, field, None) is None:
                    setattr(obj, field, value)
            obj.save()
            if hasattr(form, "after_save"):
                form.after_save(obj, request.user)
        messages.success(request, _("Saved."))
        return redirect(obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else back)
    template, section = form_class.page
    context = {"form": form, "title": title, "back": back, "object": instance, "section": section}
    return render(request, template, context)


# --- Knowledge base -------------------------------------------------------------------------------


@login_required
def article_list(request):
    articles = services.visible_articles(request.user).select_related("contract")
    return _list_page(
        request,
        articles,
        KnowledgeArticleFilterSet,
        "incidents/knowledge_list.html",
        MANAGE_KNOWLEDGE,
        "knowledge",
        statuses=KnowledgeArticle.Status.choices,
        asset_kinds=KnowledgeArticle._meta.get_field("asset_kind").choices,
    )


@login_required
def article_detail(request, pk):
    articles = services.visible_articles(request.user)
    article = get_object_or_404(
        articles.select_related("contract", "author", "source_incident__contract"), pk=pk
    )
    can_edit = can(request.user, MANAGE_KNOWLEDGE, article.contract)
    context = {"article": article, "section": "knowledge", "can_edit": can_edit}
    return render(request, "incidents/knowledge_detail.html", context)


@login_required
def article_edit(request, pk=None):
    articles = services.visible_articles(request.user)
    article = _editable(request, articles, pk, MANAGE_KNOWLEDGE) if pk else None
    title = _("Edit knowledge article") if article else _("New knowledge article")
    back = reverse("incidents:knowledge")
    return _form_page(request, ArticleForm, article, MANAGE_KNOWLEDGE, back, title, author=request.user)


@login_required
@require_POST
def article_from_incident(request, pk):
    """The incident page's one-tap button: a draft article from a resolved incident."""
    incident = get_object_or_404(
        Incident.objects.restrict(request.user).select_related("contract", "asset"), pk=pk
    )
    if not can(request.user, MANAGE_KNOWLEDGE, incident.contract):
        raise PermissionDenied
    try:
        article = services.article_from_incident(incident, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(incident)
    messages.success(request, _("Draft article ready: check it and publish it."))
    return redirect("incidents:article-edit", pk=article.pk)


# --- Emergency plans and drills -------------------------------------------------------------------


@login_required
def plan_list(request):
    plans = EmergencyPlan.objects.restrict(request.user).select_related("contract")
    return _list_page(
        request,
        plans,
        EmergencyPlanFilterSet,
        "incidents/plan_list.html",
        MANAGE_KNOWLEDGE,
        "plans",
        categories=EmergencyPlan.Category.choices,
    )


@login_required
def plan_detail(request, pk):
    plan = get_object_or_404(EmergencyPlan.objects.restrict(request.user).select_related("contract"), pk=pk)
    can_edit = can(request.user, MANAGE_KNOWLEDGE, plan.contract)
    drill_form = DrillForm(initial={"date": timezone.localdate()}) if can_edit else None
    context = {"plan": plan, "drills": plan.drills.all(), "can_edit": can_edit, "drill_form": drill_form}
    return render(request, "incidents/plan_detail.html", {**context, "section": "plans"})


@login_required
def plan_edit(request, pk=None):
    plan = (
        _editable(request, EmergencyPlan.objects.restrict(request.user), pk, MANAGE_KNOWLEDGE) if pk else None
    )
    title = _("Edit emergency plan") if plan else _("New emergency plan")
    return _form_page(request, PlanForm, plan, MANAGE_KNOWLEDGE, reverse("incidents:plans"), title)


@login_required
@require_POST
def drill_add(request, pk):
    plan = _editable(request, EmergencyPlan.objects.restrict(request.user), pk, MANAGE_KNOWLEDGE)
    form = DrillForm(request.POST, instance=Drill(plan=plan, recorded_by=request.user))
    if form.is_valid():
        form.save()
        messages.success(request, _("Drill recorded."))
    else:
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label}: {' '.join(errors)}")
    return redirect(plan)


# --- Consultations --------------------------------------------------------------------------------


@login_required
def consultation_list(request):
    rows = Consultation.objects.restrict(request.user).select_related("contract", "engineer")
    editable = Contract.objects.restrict(request.user, RECORD_CONSULTATION).values_list("pk", flat=True)
    return _list_page(
        request,
        rows,
        ConsultationFilterSet,
        "incidents/consultation_list.html",
        RECORD_CONSULTATION,
        "consultations",
        channels=Consultation.Channel.choices,
        editable=set(editable),
        same_day_reading=services.SAME_DAY_READING,
    )


@login_required
def consultation_edit(request, pk=None):
    row = (
        _editable(request, Consultation.objects.restrict(request.user), pk, RECORD_CONSULTATION)
        if pk
        else None
    )
    title = _("Record the answer") if row else _("New consultation")
    # A new question is usually typed in while the caller is on the line, by whoever answers it.
    initial = {"asked_at": timezone.localtime().replace(second=0, microsecond=0), "engineer": request.user.pk}
    back = reverse("incidents:consultations")
    return _form_page(
        request, ConsultationForm, row, RECORD_CONSULTATION, back, title, initial, recorded_by=request.user
    )


@login_required
def consultation_stats(request):
    """Seed 004's answer and timely-reply rates per engineer, for a contract and a period."""
    contracts = Contract.objects.restrict(request.user).only("code", "title")
    contract = None
    if request.GET.get("contract"):
        contract = get_object_or_404(contracts, code=request.GET["contract"])
    today = timezone.localdate()
    defaults = {"start": today.replace(day=1), "end": today}
    form = StatsForm({**defaults, **request.GET.dict()})
    rates, rule = None, ""
    if contract is not None and form.is_valid():
        data = form.cleaned_data
        # The contract's own rule (seed 000: the same day) unless the hours were asked for.
        hours = data.get("hours")
        term = services.consultation_term(contract) if hours is None else None
        rule = services.rule_label(term)
        if term is None and hours is None:
            hours = services.DEFAULT_TIMELY_HOURS
        rates = services.consultation_rates(contract, data["start"], data["end"], hours, term=term)
    context = {"contracts": contracts, "contract": contract, "form": form, "rates": rates, "rule": rule}
    return render(request, "incidents/consultation_stats.html", {**context, "section": "consultations"})


# --- Complaints -----------------------------------------------------------------------------------


@login_required
def complaint_list(request):
    complaints = Complaint.objects.restrict(request.user).select_related("contract", "filed_by")
    return _list_page(
        request,
        complaints,
        ComplaintFilterSet,
        "incidents/complaint_list.html",
        FILE_COMPLAINT,
        "complaints",
        statuses=Complaint.Status.choices,
        sides=Complaint._meta.get_field("filed_by_side").choices,
    )


@login_required
def complaint_detail(request, pk):
    complaints = Complaint.objects.restrict(request.user).select_related(
        "contract", "filed_by", "decided_by", "answered_by"
    )
    complaint = get_object_or_404(complaints, pk=pk)
    may_decide = (
        complaint.status == Complaint.Status.OPEN
        and complaint.filed_by_id != request.user.pk
        and can(request.user, services.DECIDER_ACTION, complaint.contract)
    )
    context = {
        "complaint": complaint,
        "form": DecisionForm() if may_decide else None,
        "answer_form": AnswerForm() if services.may_answer(complaint, request.user) else None,
    }
    return render(request, "incidents/complaint_detail.html", {**context, "section": "complaints"})


@login_required
@require_POST
def complaint_answer(request, pk):
    """The side complained against answers (the vendor, when the client complains)."""
    complaint = get_object_or_404(Complaint.objects.restrict(request.user).select_related("contract"), pk=pk)
    form = AnswerForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"answer": _("Write the answer.")})
        services.answer_complaint(complaint, request.user, form.cleaned_data["answer"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your answer is recorded; the other side reads it on the complaint."))
    return redirect(complaint)


@login_required
def complaint_add(request):
    back = reverse("incidents:complaints")
    return _form_page(request, ComplaintForm, None, FILE_COMPLAINT, back, _("New complaint"))


@login_required
@require_POST
def complaint_decide(request, pk):
    complaint = _editable(request, Complaint.objects.restrict(request.user), pk, services.DECIDER_ACTION)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision and give its reason."))
        return redirect(complaint)
    try:
        services.decide_complaint(complaint, request.user, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Decision recorded."))
    return redirect(complaint)


urlpatterns = [
    path("knowledge/", article_list, name="knowledge"),
    path("knowledge/add/", article_edit, name="article-add"),
    path("knowledge/<int:pk>/", article_detail, name="article-detail"),
    path("knowledge/<int:pk>/edit/", article_edit, name="article-edit"),
    path("knowledge/from-incident/<int:pk>/", article_from_incident, name="article-from-incident"),
    path("plans/", plan_list, name="plans"),
    path("plans/add/", plan_edit, name="plan-add"),
    path("plans/<int:pk>/", plan_detail, name="plan-detail"),
    path("plans/<int:pk>/edit/", plan_edit, name="plan-edit"),
    path("plans/<int:pk>/drills/add/", drill_add, name="drill-add"),
    path("consultations/", consultation_list, name="consultations"),
    path("consultations/add/", consultation_edit, name="consultation-add"),
    path("consultations/<int:pk>/edit/", consultation_edit, name="consultation-edit"),
    path("consultations/stats/", consultation_stats, name="consultation-stats"),
    path("complaints/", complaint_list, name="complaints"),
    path("complaints/add/", complaint_add, name="complaint-add"),
    path("complaints/<int:pk>/", complaint_detail, name="complaint-detail"),
    path("complaints/<int:pk>/decide/", complaint_decide, name="complaint-decide"),
    path("complaints/<int:pk>/answer/", complaint_answer, name="complaint-answer"),
]
