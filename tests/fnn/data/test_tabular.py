import numpy as np
import pytest

from fnn.data import datasets, tabular


def write(path, text: str):
    path.write_text(text)
    return path


def test_a_csv_is_split_into_named_features_and_the_target_column(tmp_path):
    path = write(tmp_path / "t.csv", "a,label,b\n1,cat,2.5\n3,dog,4\n5,cat,6\n")
    table = tabular.read(path, "label")
    assert table.features == ("a", "b") and table.target == "label"
    np.testing.assert_array_equal(table.X, np.array([[1, 2.5], [3, 4], [5, 6]], np.float32))
    y, labels = tabular.encode_target(table.y, tabular.infer_task(table.y), path)
    assert labels == ("cat", "dog") and y.tolist() == [0, 1, 0] and y.dtype == np.int32


@pytest.mark.parametrize("cells, task", [("1,2,1,3", "classification"), ("a,b,a,a", "classification"),
                                         ("0.5,2,1,3", "regression"), ("-1.0,2.0,1,3", "classification")])
def test_the_task_follows_the_target(cells, task, tmp_path):
    rows = "".join(f"{i},{value}\n" for i, value in enumerate(cells.split(",")))
    assert tabular.infer_task(tabular.read(write(tmp_path / "t.csv", "x,y\n" + rows), "y").y) == task


def test_npz_and_npy_tables(tmp_path):
    X, y = np.arange(12.0).reshape(4, 3), np.array([0.5, 1.5, 2.5, 3.5])
    np.savez(tmp_path / "t.npz", X=X, y=y)
    table = tabular.read(tmp_path / "t.npz", None)
    np.testing.assert_array_equal(table.X, X.astype(np.float32))
    np.testing.assert_array_equal(table.y, y)
    assert tabular.infer_task(table.y) == "regression" and table.features == ("x0", "x1", "x2")
    np.save(tmp_path / "t.npy", np.column_stack([X, y]))
    table = tabular.read(tmp_path / "t.npy", "-1")
    np.testing.assert_array_equal(table.X, X.astype(np.float32))
    assert table.y.tolist() == y.tolist() and table.target == "x3"


def test_the_file_data_set_numbers_the_classes_and_keeps_their_names(tmp_path):
    path = write(tmp_path / "t.csv", "x,kind\n0.1,b\n0.2,a\n0.3,c\n0.4,a\n")
    data = datasets.load(datasets.FILE, key=None, table=(path, "kind", None))
    assert data.num_classes == 3 and data.labels == ("a", "b", "c") and data.y.tolist() == [1, 0, 2, 0]
    numbers = write(tmp_path / "n.csv", "x,v\n0.1,1\n0.2,2\n")
    regression = datasets.load(datasets.FILE, key=None, table=(numbers, "v", "regression"))
    assert regression.num_classes == 0 and regression.labels == () and regression.y.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("text, target, setting, message", [
    ("a,b\n1,2\n", "c", "target", "expected one of the columns of"),
    ("a,b\n1,2\n3\n", "b", "data", "expected 2 cells in every row of"),
    ("a,b\n1,2\n,3\n", "b", "data", "column 'a' of"),
    ("a,b\nred,2\n", "b", "data", "column 'a' of"),
    ("a,b\nnan,2\n", "b", "data", "has nan at line 2: expected finite numbers"),
    ("a,b\n1,\n", "b", "data", "has an empty cell at line 2"),
    ("a,b\n1,2\n", None, "target", "expected the target column's name, got none"),
    ("b\n1\n", "b", "data", "expected at least one feature column besides the target"),
    ("a,b\n", "b", "data", "expected a header row and at least one row of data"),
])
def test_a_bad_csv_is_named_with_the_setting_the_column_and_the_line(text, target, setting, message, tmp_path):
    with pytest.raises(tabular.TableError) as raised:
        tabular.read(write(tmp_path / "t.csv", text), target)
    assert raised.value.setting == setting and message in raised.value.reason


def test_the_text_and_the_line_of_a_non_numeric_cell_are_shown(tmp_path):
    with pytest.raises(tabular.TableError, match=r"column 'colour' of .* holds text \('red' at line 3\)"):
        tabular.read(write(tmp_path / "t.csv", "colour,y\n1,0\nred,1\n"), "y")


def test_a_target_with_one_class_or_text_for_regression_is_refused(tmp_path):
    one = tabular.read(write(tmp_path / "one.csv", "x,y\n1,a\n2,a\n"), "y")
    with pytest.raises(tabular.TableError, match=r"has one class \('a'\) in all 2 rows"):
        tabular.encode_target(one.y, "classification", "one.csv")
    with pytest.raises(tabular.TableError, match="regression needs numbers in the target"):
        tabular.encode_target(one.y, "regression", "one.csv")


def test_a_class_named_like_a_row_of_the_report_is_refused(tmp_path):
    """The evaluation report keys its rows by class name beside "macro" and "accuracy"."""
    table = tabular.read(write(tmp_path / "t.csv", "x,y\n1,accuracy\n2,b\n"), "y")
    with pytest.raises(tabular.TableError, match=r"has the class 'accuracy': expected class labels other than macro and "
                                                 r"accuracy, the rows of the evaluation report"):
        tabular.encode_target(table.y, "classification", "t.csv")


def test_constant_columns_are_named(tmp_path):
    table = tabular.read(write(tmp_path / "t.csv", "a,b,c,y\n1,5,0,0\n2,5,0,1\n"), "y")
    assert tabular.constant_columns(table.X, table.features) == ["b", "c"]


def test_rows_to_predict_are_read_by_column_name_in_any_order(tmp_path):
    path = write(tmp_path / "new.csv", "b,label,a\n2,x,1\n4,y,3\n")
    np.testing.assert_array_equal(tabular.feature_rows(path, ("a", "b")), np.array([[1, 2], [3, 4]], np.float32))
    with pytest.raises(ValueError, match="predict: expected a header naming the run's feature columns .*, got no c"):
        tabular.feature_rows(path, ("a", "c"))
    with pytest.raises(ValueError, match="^predict: column 'a' of .* holds text"):
        tabular.feature_rows(write(tmp_path / "bad.csv", "a,b\nq,1\n"), ("a", "b"))


@pytest.mark.parametrize("name, target, message", [("t.txt", None, "expected a .csv, .npy or .npz file"),
                                                   ("none.csv", "y", "expected the file"),
                                                   ("t.npy", "7", "expected a column index in [0, 2], got 7"),
                                                   ("t.npy", "y", "a .npy array's columns are numbered"),
                                                   ("t.npz", "y", "holds its target as the array y")])
def test_files_and_targets_that_cannot_be_read_are_named(name, target, message, tmp_path):
    (tmp_path / "t.txt").write_text("x")
    np.save(tmp_path / "t.npy", np.zeros((4, 3)))
    np.savez(tmp_path / "t.npz", X=np.zeros((4, 2)), y=np.zeros(4))
    with pytest.raises(tabular.TableError) as raised:
        tabular.read(tmp_path / name, target)
    assert message in raised.value.reason


@pytest.mark.parametrize("text, message", [
    ("x,y\n1,2\n2,Infinity\n", "the target 'y' of .* has Infinity at line 3"),
    ("x,y\n1,2\n2,-nan\n", "the target 'y' of .* has -nan at line 3"),
    ("x,y\n1,\n", "the target 'y' of .* has an empty cell at line 2"),
    ("a,a,y\n1,2,0\n", "expected each column of .* named once, got 'a' more than once"),
])
def test_non_finite_targets_and_repeated_columns_are_refused(text, message, tmp_path):
    with pytest.raises(tabular.TableError, match=message):
        tabular.read(write(tmp_path / "t.csv", text), "y")


def test_a_spreadsheet_s_byte_order_mark_and_huge_whole_numbers_are_read_as_meant(tmp_path):
    table = tabular.read(write(tmp_path / "t.csv", "\ufeffy,x\n1e20,1\n3e20,2\n"), "y")
    assert table.features == ("x",) and table.y.dtype == np.float64 and table.y.tolist() == [1e20, 3e20]


def test_many_whole_numbers_are_a_regression_target_and_few_are_classes(tmp_path):
    assert tabular.infer_task(np.arange(21)) == "regression" and tabular.infer_task(np.arange(20) % 3) == "classification"


def test_npy_and_npz_targets_are_checked_and_byte_labels_become_text(tmp_path):
    np.save(tmp_path / "nan.npy", np.array([[1.0, np.nan], [2.0, 1.5], [3.0, 2.5]]))
    with pytest.raises(tabular.TableError, match="the target column 1 of .* has 1 NaN or infinite entries"):
        tabular.read(tmp_path / "nan.npy", "1")
    np.savez(tmp_path / "bytes.npz", X=np.zeros((2, 1)), y=np.array([b"a", b"b"]))
    assert tabular.read(tmp_path / "bytes.npz", None).y.tolist() == ["a", "b"]
    np.savez(tmp_path / "objects.npz", X=np.zeros((2, 1)), y=np.array([{}, {}], dtype=object))
    with pytest.raises(tabular.TableError, match="expected a .npz archive of arrays of numbers or text in"):
        tabular.read(tmp_path / "objects.npz", None)
