import sqlite3
import pandas as pd
def task_func(db_file: str, query: str) -> pd.DataFrame:
    conn = sqlite3.connect(db_file)
    df = pd.read_sql_query(query, conn)
    conn.close()
