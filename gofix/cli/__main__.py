from gofix.cli import app

app()
