"""The generated data carries the real data's quirks, the same way every run."""
import pandas as pd

from failurelab import sampledata


def test_generation_is_deterministic():
    pd.testing.assert_frame_equal(sampledata.generate(500, seed=3), sampledata.generate(500, seed=3))


def test_the_default_sample_has_every_quirk_of_the_real_data(sample_frame):
    df = sample_frame
    cancelled = df.InvoiceNo.str.startswith("C")
    assert len(df) == 2000 and list(df.columns) == sampledata.COLUMNS
    assert cancelled.any() and (df.Quantity[cancelled] < 0).all()
    assert ((df.Quantity < 0) & ~cancelled & (df.UnitPrice == 0)).any()  # stock notes
    assert 0.15 < df.CustomerID.isna().mean() < 0.35
    assert (df.Description.isna() & (df.UnitPrice == 0)).any()
    assert (df.UnitPrice == -11062.06).sum() == 2 and df.UnitPrice.max() == 38970
    assert {80995, -80995} <= set(df.Quantity)
    assert df.StockCode.isin(["POST", "DOT", "M", "C2", "D", "S", "BANK CHARGES", "AMAZONFEE", "CRUK", "B"]).any()
    assert {"15056bl", "15056BL"} <= set(df.StockCode)
    assert df.duplicated().any()
    assert df[df.StockCode == "85123A"].Description.nunique() >= 1
    assert (df.Description.str.strip() != df.Description).any()  # padded descriptions
    assert df.Description.str.contains(",", na=False).any()


def test_the_full_size_sample_has_the_real_rates():
    df = sampledata.generate(541909)
    assert len(df) == 541909
    assert df[df.StockCode == "85123A"].Description.nunique() >= 3
    assert 0.01 < df.InvoiceNo.str.startswith("C").mean() < 0.03
    assert 0.005 < df.duplicated().mean() < 0.02
    assert df.InvoiceDate.min() >= pd.Timestamp("2010-12-01") and df.InvoiceDate.max() < pd.Timestamp("2011-12-10")


def test_every_csv_shape_reads_back_to_the_same_rows(tmp_path, sample_frame):
    shapes = [dict(encoding="utf-8"), dict(encoding="utf-8-sig"), dict(encoding="latin-1", dates="us", customer="int")]
    for n, shape in enumerate(shapes):
        path = sampledata.write_csv(sample_frame, tmp_path / f"{n}.csv", **shape)
        back = pd.read_csv(path, encoding=shape["encoding"], dtype={"InvoiceNo": str, "StockCode": str})
        assert len(back) == len(sample_frame)
        assert back.Description.fillna("").tolist() == sample_frame.Description.fillna("").tolist()
