//! `indicators!`: one declaration per indicator gives its 1-D binding and its panel form.
//!
//! ```text
//! indicators! {
//!     /// Docstring of the 1-D binding.
//!     fn name / name_panel(input, ...; param: type, ...) -> (output, ...) = kernel;
//! }
//! ```
//!
//! (`-> out` in place of `-> (out)` declares a one-output indicator whose 1-D binding also takes
//! an `out=` array to write into.)
//!
//! declares `name(input: 1-D float64, ..., param, ...)` returning one array or a tuple (one per
//! output), `name_panel` taking 2-D (symbols × time) panels of one shape in place of the series
//! and returning 2-D arrays in the same order, and `add_declared(m)`, which adds them all to the
//! module. `kernel` takes the input slices, then the params, then the output slices, as every
//! indicator kernel does. Input names are the Python argument names and name the argument at
//! fault in errors.

/// Replaces a repetition's metavariable by a type, to repeat the type once per output.
macro_rules! per_output {
    ($output:ident, $type:ty) => {
        $type
    };
}
pub(crate) use per_output;

macro_rules! indicators {
    // A one-output indicator declared `-> out`: its 1-D binding also takes `out=` (see `run_into`).
    (@one $(#[$doc:meta])* fn $name:ident / $panel:ident(
        $($input:ident),+ ; $($param:ident: $type:ty),*
    ) -> out = $kernel:path) => {
        $(#[$doc])*
        #[::pyo3::pyfunction]
        #[pyo3(signature = ($($input,)+ $($param,)* out=None))]
        #[allow(clippy::too_many_arguments)]
        pub fn $name<'py>(
            py: ::pyo3::Python<'py>,
            $($input: ::numpy::PyReadonlyArray1<'py, f64>,)+
            $($param: $type,)*
            out: Option<::pyo3::Bound<'py, ::numpy::PyArray1<f64>>>,
        ) -> ::pyo3::PyResult<::pyo3::Bound<'py, ::numpy::PyArray1<f64>>> {
            let inputs = [$((stringify!($input), &$input)),+];
            match out {
                Some(out) => $crate::python::arrays::run_into(
                    py,
                    inputs,
                    out,
                    |[$($input),+], [out]| $kernel($($input,)+ $($param,)* out),
                ),
                None => {
                    let [out] = $crate::python::arrays::run_n(
                        py,
                        inputs,
                        |[$($input),+], [out]| $kernel($($input,)+ $($param,)* out),
                    )?;
                    Ok(out)
                }
            }
        }

        $crate::python::declare::indicators!(@panel fn $name / $panel(
            $($input),+ ; $($param: $type),*
        ) -> (out) = $kernel);
    };
    (@one $(#[$doc:meta])* fn $name:ident / $panel:ident(
        $($input:ident),+ ; $($param:ident: $type:ty),*
    ) -> ($($output:ident),+) = $kernel:path) => {
        $(#[$doc])*
        #[::pyo3::pyfunction]
        // One output gives `(T)`, which is `T`: a bare array rather than a 1-tuple.
        #[allow(unused_parens, clippy::too_many_arguments)]
        pub fn $name<'py>(
            py: ::pyo3::Python<'py>,
            $($input: ::numpy::PyReadonlyArray1<'py, f64>,)+
            $($param: $type,)*
        ) -> ::pyo3::PyResult<($(
            $crate::python::declare::per_output!(
                $output, ::pyo3::Bound<'py, ::numpy::PyArray1<f64>>
            )
        ),+)> {
            let [$($output),+] = $crate::python::arrays::run_n(
                py,
                [$((stringify!($input), &$input)),+],
                |[$($input),+], [$($output),+]| $kernel($($input,)+ $($param,)* $($output,)+),
            )?;
            Ok(($($output),+))
        }

        $crate::python::declare::indicators!(@panel fn $name / $panel(
            $($input),+ ; $($param: $type),*
        ) -> ($($output),+) = $kernel);
    };
    (@panel fn $name:ident / $panel:ident(
        $($input:ident),+ ; $($param:ident: $type:ty),*
    ) -> ($($output:ident),+) = $kernel:path) => {
        #[doc = concat!(
            "`", stringify!($name), "` of every row of (symbols × time) panels, rows in parallel."
        )]
        #[::pyo3::pyfunction]
        #[allow(unused_parens, clippy::too_many_arguments)]
        pub fn $panel<'py>(
            py: ::pyo3::Python<'py>,
            $($input: ::numpy::PyReadonlyArray2<'py, f64>,)+
            $($param: $type,)*
        ) -> ::pyo3::PyResult<($(
            $crate::python::declare::per_output!(
                $output, ::pyo3::Bound<'py, ::numpy::PyArray2<f64>>
            )
        ),+)> {
            let [$($output),+] = $crate::python::arrays::run_panel(
                py,
                [$((stringify!($input), &$input)),+],
                |_, [$($input),+], [$($output),+]| {
                    $kernel($($input,)+ $($param,)* $($output,)+)
                },
            )?;
            Ok(($($output),+))
        }
    };
    ($(
        $(#[$doc:meta])*
        fn $name:ident / $panel:ident $arguments:tt -> $outputs:tt = $kernel:path;
    )+) => {
        $(
            $crate::python::declare::indicators!(@one $(#[$doc])*
                fn $name / $panel $arguments -> $outputs = $kernel);
        )+

        /// Adds every binding declared by `indicators!` here, 1-D and panel, to `_kernels`.
        fn add_declared(m: &::pyo3::Bound<'_, ::pyo3::types::PyModule>) -> ::pyo3::PyResult<()> {
            use ::pyo3::types::PyModuleMethods;
            $(
                m.add_function(::pyo3::wrap_pyfunction!($name, m)?)?;
                m.add_function(::pyo3::wrap_pyfunction!($panel, m)?)?;
            )+
            Ok(())
        }
    };
}
pub(crate) use indicators;
