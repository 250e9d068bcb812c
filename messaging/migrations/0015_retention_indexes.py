"""The retention batches' partial indexes (messaging.retention), built without blocking
sends: on PostgreSQL ``CREATE INDEX CONCURRENTLY`` (outside a transaction, so this
migration is not atomic), which lets inserts and updates of messages and received SMS go
on while a large table is indexed; elsewhere a plain ``CREATE INDEX``."""

from django.db import migrations, models


class AddIndexWithoutBlocking(migrations.AddIndex):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.add_index(model, self.index, concurrently=True)
        else:
            schema_editor.add_index(model, self.index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.remove_index(model, self.index, concurrently=True)
        else:
            schema_editor.remove_index(model, self.index)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("messaging", "0014_retention")]

    operations = [
        AddIndexWithoutBlocking(
            model_name="incomingmessage",
            index=models.Index(
                condition=models.Q(("text_archived_at__isnull", True)),
                fields=["received_at", "id"],
                name="incoming_text_kept",
            ),
        ),
        AddIndexWithoutBlocking(
            model_name="incomingmessage",
            index=models.Index(
                condition=models.Q(("number_archived_at__isnull", True)),
                fields=["received_at", "id"],
                name="incoming_number_kept",
            ),
        ),
        AddIndexWithoutBlocking(
            model_name="message",
            index=models.Index(
                condition=models.Q(("text_archived_at__isnull", True)),
                fields=["created_at", "id"],
                name="message_text_kept",
            ),
        ),
        AddIndexWithoutBlocking(
            model_name="message",
            index=models.Index(
                condition=models.Q(("numbers_archived_at__isnull", True)),
                fields=["created_at", "id"],
                name="message_numbers_kept",
            ),
        ),
    ]
