//! tollgate-verify
