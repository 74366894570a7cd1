//! One file per format: its signature, decoder and encoder registrations.

mod aac;
mod ac3;
mod aiff;
mod caf;
mod flac;
mod m4a;
mod mp3;
mod ogg;
mod opus;
mod wav;
mod wma;
