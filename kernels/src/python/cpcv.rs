//! Binding for combinatorial purged cross-validation splits.
use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::contiguous;
use crate::cpcv::{path_ids, CpcvPlan as Plan, Purge};

type Int1<'py> = Bound<'py, PyArray1<i64>>;

/// Adds the CPCV plan class to `_kernels`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<CpcvPlan>()?;
    Ok(())
}

/// CPCV groups, combinations and purge reach for one sample count; see `quantcli.kernels.cpcv`.
#[pyclass(module = "quantcli._kernels", frozen)]
pub struct CpcvPlan(Plan);

fn by_split<'py>(py: Python<'py>, values: &[usize], width: usize) -> Bound<'py, PyArray2<i64>> {
    let values: Vec<i64> = values.iter().map(|&v| v as i64).collect();
    let rows = values.len() / width.max(1);
    // The shape always matches: `values` holds `width` entries per split.
    Array2::from_shape_vec((rows, width), values)
        .unwrap_or_else(|_| Array2::zeros((0, width)))
        .into_pyarray(py)
}

#[pymethods]
impl CpcvPlan {
    #[new]
    #[pyo3(signature = (
        n_samples, n_groups, n_test_groups, *, purged_size, embargo_size, times, label_end_times
    ))]
    #[allow(clippy::too_many_arguments)] // mirrors the Python signature, keyword by keyword
    fn new(
        py: Python<'_>,
        n_samples: usize,
        n_groups: usize,
        n_test_groups: usize,
        purged_size: usize,
        embargo_size: usize,
        times: Option<PyReadonlyArray1<'_, i64>>,
        label_end_times: Option<PyReadonlyArray1<'_, i64>>,
    ) -> PyResult<Self> {
        let labels = match (&times, &label_end_times) {
            (None, None) => None,
            (Some(times), Some(ends)) => Some((
                contiguous("times", times)?,
                contiguous("label_end_times", ends)?,
            )),
            _ => {
                let message = "times and label_end_times: give both or neither";
                return Err(PyValueError::new_err(message));
            }
        };
        let plan = py.detach(|| {
            let purge = match labels {
                None => Purge::Samples(purged_size),
                Some((times, ends)) => Purge::LabelEnds {
                    times: times.to_vec(),
                    label_ends: ends.to_vec(),
                },
            };
            Plan::new(n_samples, n_groups, n_test_groups, purge, embargo_size)
        })?;
        Ok(Self(plan))
    }

    #[getter]
    fn n_splits(&self) -> usize {
        self.0.n_splits()
    }

    /// `n_groups + 1` offsets: group `g` holds samples `bounds[g]..bounds[g + 1]`.
    fn group_bounds<'py>(&self, py: Python<'py>) -> Int1<'py> {
        let bounds: Vec<i64> = self.0.bounds().iter().map(|&b| b as i64).collect();
        PyArray1::from_vec(py, bounds)
    }

    /// `(n_splits, n_test_groups)`: the test groups of each split, lexicographic.
    fn test_groups<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<i64>> {
        let k = self.0.test_groups(0).len();
        by_split(py, self.0.combinations(), k)
    }

    /// `(n_splits, n_test_groups)`: the backtest path of each split's test groups.
    fn path_ids<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<i64>> {
        let k = self.0.test_groups(0).len();
        let n_groups = self.0.bounds().len() - 1;
        by_split(py, &path_ids(n_groups, self.0.combinations()), k)
    }

    /// `(train, test)` index arrays of each of `splits`, built in parallel with the GIL released.
    fn split_indices<'py>(
        &self,
        py: Python<'py>,
        splits: Vec<usize>,
    ) -> PyResult<Vec<(Int1<'py>, Int1<'py>)>> {
        let pairs = py.detach(|| self.0.split_indices(&splits))?;
        Ok(pairs
            .into_iter()
            .map(|(train, test)| (PyArray1::from_vec(py, train), PyArray1::from_vec(py, test)))
            .collect())
    }
}
