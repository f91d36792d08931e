//! Adapters putting hrwheel's two engines, and the facade's wheel-backed
//! pool, behind [`TimerQueue`](crate::TimerQueue).

mod facade;
mod hires;
mod wheel;

pub use facade::FacadeAdapter;
pub use hires::{HiresAdapter, HiresPeriodic};
pub use wheel::{CoarseWheelAdapter, WheelAdapter};
