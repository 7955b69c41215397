"""The pure parts of coding: paragraphs and offsets, agreement, REFI-QDA XML. No Flask, no database."""
