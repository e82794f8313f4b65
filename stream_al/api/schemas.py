"""The JSON the annotation API takes and gives (the contract the web page is built on).

>>> LabelsIn.model_validate({"labels": [{"item_id": "7", "label": True}]}).labels[0].label
True
>>> ErrorOut(error="unknown_item", message="no item '7'").model_dump(exclude_none=True)
{'error': 'unknown_item', 'message': "no item '7'"}
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

__all__ = [
    "AnnotatorIn",
    "AnnotatorInfo",
    "AnnotatorList",
    "AnnotatorOut",
    "AnnotatorQuality",
    "AnnotatorToken",
    "ClassDecisionOut",
    "ClassIn",
    "ClassesIn",
    "ClassesOut",
    "DecisionIn",
    "DecisionOut",
    "DisputeLabel",
    "DisputeOut",
    "DisputesOut",
    "ErrorOut",
    "Health",
    "ItemOut",
    "KnownClassOut",
    "LabelIn",
    "LabelOut",
    "LabelResult",
    "LabelValue",
    "LabelsIn",
    "LabelsOut",
    "LeaseOut",
    "Me",
    "PendingClassOut",
    "QualityOut",
    "RecordsOut",
    "RejectedClassOut",
    "RevokedOut",
    "StatsOut",
    "TaskOut",
    "TaskStateOut",
    "Utf8",
    "utf8_text",
]


def utf8_text(value: str) -> str:
    r"""`value` if UTF-8 can encode it; else a ValueError (a 422): a lone surrogate, ``\ud800``.

    JSON may escape half a surrogate pair (``"\ud800"``), and the store, the
    labels topic, the answers and the log all write UTF-8. Pydantic refuses
    such a string for a plain ``str`` field but lets it through one that is
    optional (``str | None``), so every string the API takes in says so.

    >>> utf8_text("café")
    'café'
    >>> utf8_text("\ud800")
    Traceback (most recent call last):
    ...
    ValueError: must be text UTF-8 can encode: it holds a lone surrogate (\ud800)
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        bad = value[error.start : error.end].encode("unicode_escape").decode("ascii")
        raise ValueError(
            f"must be text UTF-8 can encode: it holds a lone surrogate ({bad})"
        ) from None
    return value


#: Refuses text UTF-8 cannot encode (on every string the API takes in).
Utf8 = AfterValidator(utf8_text)

#: A label as JSON: a string, an integer or a boolean, never coerced from one to another.
LabelValue = (
    Annotated[StrictStr, Field(min_length=1, max_length=200), Utf8] | StrictInt | StrictBool
)
#: A label as the API gives it (task classes and predictions, whatever the model uses).
LabelOut = str | int | bool
ItemId = Annotated[str, Field(min_length=1, max_length=512), Utf8]


class ErrorOut(BaseModel):
    """Every error answer."""

    error: str = Field(description="Short machine-readable reason, e.g. 'not_your_lease'")
    message: str = Field(description="What was wrong and what to do about it")
    item_id: str | None = Field(None, description="The item of the batch entry at fault")


class Health(BaseModel):
    status: Literal["ok", "waiting"] = "ok"
    waiting: dict[str, str] = Field(
        default_factory=dict,
        description='What the process waits for, e.g. {"broker": "unreachable since ..."}',
    )


class Me(BaseModel):
    name: str
    role: Literal["annotator", "admin"]
    labels: int = Field(description="Labels this annotator gave so far")


class ItemOut(BaseModel):
    """An item as annotators see it (`stream_al.items.Item`)."""

    model_config = ConfigDict(title="Item")

    id: str
    event_time: float
    features: dict[str, float | int | str] = Field(default_factory=dict)
    text: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class TaskOut(BaseModel):
    """One leased task."""

    lease_id: str
    item_id: str
    expires_at: float = Field(description="When the lease ends (unix seconds)")
    priority: float = Field(description="Current (time-decayed) priority")
    classes: list[LabelOut] = Field(
        description="Labels to choose from: the known classes (empty: none known yet, "
        "nothing can be labelled)"
    )
    item: ItemOut
    prediction: LabelOut | None = None
    confidence: float | None = None
    model_version: str | None = None


class LeaseOut(BaseModel):
    tasks: list[TaskOut]
    queue_depth: int = Field(description="Tasks still waiting after this lease")


class LabelIn(BaseModel):
    """One label of a submission; the caller's lease is found by item id."""

    item_id: ItemId
    label: LabelValue
    seconds_spent: Annotated[float, Field(ge=0.0, le=86_400.0 * 7)] | None = None
    lease_id: Annotated[str, Utf8] | None = Field(
        None, description="Optional: checked against the live lease"
    )


class LabelsIn(BaseModel):
    labels: list[LabelIn] = Field(min_length=1, description="Applied all together, or none")


class LabelResult(BaseModel):
    item_id: str
    status: Literal["accepted", "duplicate"]
    held: Literal["class"] | None = Field(
        None,
        description="'class': stored, but its class waits for an admin; learned once accepted",
    )


class LabelsOut(BaseModel):
    results: list[LabelResult]
    labels: int = Field(description="Labels the caller gave so far, these included")


class TaskStateOut(BaseModel):
    item_id: str
    state: str = Field(description="queued, leased, acked, expired, evicted or dropped")


class AnnotatorOut(BaseModel):
    name: str
    labels: int


class RecordsOut(BaseModel):
    """What became of one role's input records, since its store began."""

    handled: int = Field(description="Items scored (scorer) or labels taken in (learner)")
    duplicates: int = Field(description="Dropped: their id was handled already (replays)")
    dead_lettered: dict[str, int] = Field(
        description="Sent to the dead-letter topic, by the class of the reason"
    )
    batch_failures: int = Field(description="Failed attempts at a batch (each retry counts)")


class StatsOut(BaseModel):
    """The queue, the label lag, the budget and the model, now."""

    queue_depth: int
    leased: int
    capacity: int
    label_lag_items: int = Field(description="Tasks admitted and not labelled yet")
    label_lag_seconds: float = Field(description="Age of the oldest of them (0: none)")
    label_lag_median_seconds: float | None = Field(
        None, description="Median seconds from admission to label, last 100 labels given"
    )
    label_lag_median_items: float | None = Field(
        None, description="Median items scored from admission to label, last 100 labels"
    )
    labels_total: int = Field(description="Labels from annotators and reviews (no pseudo-labels)")
    pseudo_labels: int = Field(0, description="The model's own confident guesses it learnt")
    budget_spent: float | None = Field(description="Share of scored items sent to annotators")
    budget: float | None = Field(description="Share allowed by [strategy] budget")
    admission_rate: float | None = Field(None, description="Share of recent items admitted")
    labeling_rate: float | None = Field(
        None, description="Human labels per recent item (when the budget is paced)"
    )
    accuracy_estimate: float | None = Field(
        description="Recent accuracy on random-share labels (else on all labels)"
    )
    accuracy_label_free: float | None = Field(
        None, description="Mean calibrated confidence of recent items: needs no label"
    )
    last_drift: dict[str, Any] | None
    items_scored: int = Field(0, description="Items the scorer handled (duplicates not counted)")
    records: dict[str, RecordsOut] = Field(
        default_factory=dict,
        description="What became of the records of each role (scorer: events; learner: labels)",
    )
    annotator: AnnotatorOut


class AnnotatorIn(BaseModel):
    name: Annotated[
        str,
        Field(
            min_length=1,
            max_length=64,
            pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$",
            description="Letters, digits, '.', '_', '@' or '-', starting with a letter or digit",
        ),
        Utf8,
    ]
    role: Literal["annotator", "admin"] = "annotator"


class AnnotatorToken(BaseModel):
    name: str
    role: Literal["annotator", "admin"]
    token: str = Field(description="Shown once: it is stored only as a digest")


class AnnotatorInfo(BaseModel):
    name: str
    role: Literal["annotator", "admin"]
    created: float
    revoked: float | None
    labels: int


class RevokedOut(AnnotatorInfo):
    leases_released: int = Field(description="Tasks they held leased, back in the queue now")


class AnnotatorList(BaseModel):
    annotators: list[AnnotatorInfo]


class AnnotatorQuality(BaseModel):
    """One annotator's throughput, time per label and agreement with the others."""

    name: str
    labels: int = Field(description="Labels given in all")
    labels_last_hour: int
    median_seconds: float | None = Field(description="Median seconds per label (recent ones)")
    kappa: float | None = Field(description="Cohen's kappa against the others on shared items")
    agreement: float | None = Field(description="Share of shared items labelled alike")
    pairs: int = Field(description="Items shared with another annotator")


class QualityOut(BaseModel):
    """Label quality: agreement on overlap tasks, disputes, annotators."""

    overlap: float = Field(description="Share of tasks given to two annotators ([queue] overlap)")
    kappa: float | None = Field(description="Cohen's kappa over every pair of labels of an item")
    agreement: float | None = Field(description="Share of those pairs that agree")
    pairs: int
    conflicts_open: int = Field(description="Items whose labels disagree, not settled yet")
    held: int = Field(description="Labels held back from training now")
    annotators: list[AnnotatorQuality]


class DisputeLabel(BaseModel):
    annotator: str
    label: LabelOut
    time: float


class DisputeOut(BaseModel):
    """An item whose labels disagree."""

    item_id: str
    labels: list[DisputeLabel]
    classes: list[LabelOut]
    waiting_for_label: bool = Field(description="Still in the queue for another opinion")


class DisputesOut(BaseModel):
    disputes: list[DisputeOut]


class DecisionIn(BaseModel):
    label: LabelValue


class DecisionOut(BaseModel):
    item_id: str
    label: LabelOut
    annotator: str = Field(description="review:<admin>: who settled it")


class KnownClassOut(BaseModel):
    """A class of the stream and where it came from."""

    label: LabelOut
    source: Literal["config", "file", "events", "admin", "model"] = Field(
        description="[model] classes, a replayed file's header, the label field of events, "
        "an admin (declared or accepted), or the model's own"
    )
    by: str | None = Field(None, description="The admin who declared or accepted it")
    at: float | None = Field(None, description="When the admin did (unix seconds)")


class PendingClassOut(BaseModel):
    """A class labels used that waits for an admin to accept or reject it."""

    label: LabelOut
    proposed_by: list[str] = Field(description="The first annotators who used it")
    labels: int = Field(
        description="Its labels waiting: stored, never learned before it is accepted"
    )
    since: float = Field(description="When it was first used (unix seconds)")


class RejectedClassOut(BaseModel):
    """A class an admin rejected: its labels are never learned, new ones are refused."""

    label: LabelOut
    by: str
    at: float
    labels: int = Field(description="Its labels that were waiting when it was rejected")


class ClassesOut(BaseModel):
    """The class set: the known classes, and new ones waiting for an admin."""

    classes: list[LabelOut] = Field(
        description="The known classes, in order: what tasks offer (empty: none known yet)"
    )
    known: list[KnownClassOut]
    pending: list[PendingClassOut]
    rejected: list[RejectedClassOut]
    allow_new_classes: bool = Field(
        description="Whether a label outside the classes is held for an admin (else refused)"
    )


class ClassesIn(BaseModel):
    """The classes an admin declares when none are known."""

    classes: list[LabelValue] = Field(min_length=2, max_length=1000)


class ClassIn(BaseModel):
    """The waiting class an admin accepts or rejects."""

    label: LabelValue


class ClassDecisionOut(BaseModel):
    label: LabelOut
    status: Literal["accepted", "rejected"]
    labels: int = Field(
        description="accepted: its held labels sent to the learner now; rejected: its labels "
        "that will never be learned (they stay in the label log)"
    )
