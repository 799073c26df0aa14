"""Reading workbooks: the OOXML reader and the workbook data model."""
from .model import (CalcSettings, CellRecord, DefinedName, SheetData, Table, TableColumn, WorkbookData,
                    WorkbookError)
from .reader import read_workbook

__all__ = ["read_workbook", "WorkbookData", "SheetData", "CellRecord", "DefinedName", "Table",
           "TableColumn", "CalcSettings", "WorkbookError"]
