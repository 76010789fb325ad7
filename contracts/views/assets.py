"""(being written: the asset ledger tab, import and export)"""
