"""The address book: a customer's contacts, their groups and the names of their custom fields.

Per customer, usable by each of their services. A contact's number is stored as
``messaging.numbers`` normalises a recipient (``48XXXXXXXXX``), so a contact is a number
the platform can send to, and the same number is one contact however it was typed.
"""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer

# The custom fields a contact carries (field1..field5), named per customer in ContactFields.
CUSTOM_FIELDS = ("field1", "field2", "field3", "field4", "field5")


class ContactGroup(models.Model):
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="contact_groups",
        verbose_name=_("customer"),
    )
    name = models.CharField(_("name"), max_length=100)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("contact group")
        verbose_name_plural = _("contact groups")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "name"], name="contactgroup_unique_name")
        ]

    def __str__(self):
        return self.name


class Contact(models.Model):
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("customer")
    )
    number = models.CharField(_("number"), max_length=16)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    note = models.CharField(_("note"), max_length=1000, blank=True)
    field1 = models.CharField(_("field 1"), max_length=200, blank=True)
    field2 = models.CharField(_("field 2"), max_length=200, blank=True)
    field3 = models.CharField(_("field 3"), max_length=200, blank=True)
    field4 = models.CharField(_("field 4"), max_length=200, blank=True)
    field5 = models.CharField(_("field 5"), max_length=200, blank=True)
    groups = models.ManyToManyField(
        ContactGroup, blank=True, related_name="contacts", verbose_name=_("groups")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["last_name", "first_name", "number"]
        constraints = [
            # Also the index a search by number (or its leading digits) within a customer uses,
            # and the conflict target of the import's upsert (contacts.importer).
            models.UniqueConstraint(fields=["customer", "number"], name="contact_unique_number")
        ]
        indexes = [
            # The list's order and a search by name within a customer.
            models.Index(
                fields=["customer", "last_name", "first_name"], name="contact_customer_name"
            ),
        ]

    def __str__(self):
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name} ({self.number})" if name else self.number


class ContactFields(models.Model):
    """What a customer calls their contacts' custom fields; a blank name is a field unused."""

    customer = models.OneToOneField(
        Customer,
        on_delete=models.CASCADE,
        related_name="contact_fields",
        verbose_name=_("customer"),
    )
    name1 = models.CharField(_("field 1 name"), max_length=50, blank=True)
    name2 = models.CharField(_("field 2 name"), max_length=50, blank=True)
    name3 = models.CharField(_("field 3 name"), max_length=50, blank=True)
    name4 = models.CharField(_("field 4 name"), max_length=50, blank=True)
    name5 = models.CharField(_("field 5 name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("contact field names")
        verbose_name_plural = _("contact field names")

    def __str__(self):
        return str(self.customer)

    def names(self) -> dict[str, str]:
        """``{"field1": "Miasto", …}`` for the fields the customer named."""
        return {
            field: getattr(self, f"name{i}")
            for i, field in enumerate(CUSTOM_FIELDS, 1)
            if getattr(self, f"name{i}")
        }


class MessageTemplate(models.Model):
    """A text the customer saved to insert into the send form (of any of their services)."""

    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="message_templates",
        verbose_name=_("customer"),
    )
    name = models.CharField(_("name"), max_length=100)
    text = models.TextField(_("text"), max_length=2000)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "name"], name="messagetemplate_unique_name")
        ]

    def __str__(self):
        return self.name


class ImportState(models.TextChoices):
    UPLOADED = "uploaded", _("uploaded")
    QUEUED = "queued", _("waiting")
    RUNNING = "running", _("importing")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class ContactImport(models.Model):
    """One import of a file into a customer's address book, from the upload to its report.

    The uploaded file is kept in ``data`` (the database, not a file on disk) between the
    steps: the web process and the worker that runs a large import may be different
    machines, and they share only the database; the row is the customer's (every page
    looks it up by its random ``key`` *and* the signed-in customer), is never served by a
    web server, and goes with the customer. ``data`` is emptied when the import ends,
    and rows are deleted ``CONTACT_IMPORT_KEEP_HOURS`` after their upload
    (``contacts.imports.clean_up``)."""

    key = models.UUIDField(_("key"), default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="contact_imports",
        verbose_name=_("customer"),
    )
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    data = models.BinaryField(_("file"), blank=True)
    size = models.PositiveIntegerField(_("size"), default=0)
    rows_estimate = models.PositiveIntegerField(_("rows (estimate)"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ImportState.choices, default=ImportState.UPLOADED
    )
    # The choices made on the preview page.
    mapping = models.JSONField(_("mapping"), default=list, blank=True)
    header = models.BooleanField(_("first row names the columns"), default=True)
    group = models.ForeignKey(
        ContactGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("group"),
    )
    new_group = models.CharField(_("new group"), max_length=100, blank=True)
    update_existing = models.BooleanField(_("update existing contacts"), default=True)
    # Progress (rows read so far), written by the task per chunk; the report when done.
    rows_done = models.PositiveIntegerField(_("rows read"), default=0)
    report = models.JSONField(_("report"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("contact import")
        verbose_name_plural = _("contact imports")

    def __str__(self):
        return f"{self.file_name} ({self.get_state_display()})"
