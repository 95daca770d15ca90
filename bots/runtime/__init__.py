"""The running bot: adapters wired to the store, events, outboxes, payments and links."""
