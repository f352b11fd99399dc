//! Sockets for the port-4370 protocol: TCP (framed) or UDP (bare payloads).

use std::net::SocketAddr;
use std::time::Duration;

use hadir_zk::binary::{Packet, TcpDecoder, tcp_frame};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::timeout;

use crate::config::Protocol;
use crate::error::ClientError;

pub(crate) enum Transport {
    Tcp { stream: TcpStream, decoder: TcpDecoder, buf: Box<[u8]> },
    Udp { socket: UdpSocket, buf: Box<[u8]> },
}

async fn resolve(address: &str) -> Result<SocketAddr, ClientError> {
    tokio::net::lookup_host(address)
        .await
        .map_err(|source| ClientError::Connect { address: address.into(), source })?
        .next()
        .ok_or_else(|| ClientError::Resolve(address.into()))
}

impl Transport {
    pub(crate) async fn open(address: &str, protocol: Protocol, limit: Duration) -> Result<Self, ClientError> {
        let addr = timeout(limit, resolve(address)).await.map_err(|_| ClientError::Timeout("resolve"))??;
        let connect_err = |source| ClientError::Connect { address: address.into(), source };
        match protocol {
            Protocol::Tcp => {
                let stream = timeout(limit, TcpStream::connect(addr))
                    .await
                    .map_err(|_| ClientError::Timeout("connect"))?
                    .map_err(connect_err)?;
                // Requests are tiny and each waits for its reply: don't let Nagle delay them.
                stream.set_nodelay(true)?;
                Ok(Self::Tcp { stream, decoder: TcpDecoder::default(), buf: vec![0; 64 * 1024].into() })
            }
            Protocol::Udp => {
                let local: SocketAddr =
                    if addr.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { (std::net::Ipv6Addr::UNSPECIFIED, 0).into() };
                let socket = UdpSocket::bind(local).await.map_err(connect_err)?;
                // connect() filters datagrams from other peers.
                socket.connect(addr).await.map_err(connect_err)?;
                Ok(Self::Udp { socket, buf: vec![0; 64 * 1024].into() })
            }
        }
    }

    pub(crate) fn is_udp(&self) -> bool {
        matches!(self, Self::Udp { .. })
    }

    pub(crate) async fn send(&mut self, packet: &Packet, limit: Duration) -> Result<(), ClientError> {
        let payload = packet.encode();
        let sent = match self {
            Self::Tcp { stream, .. } => timeout(limit, stream.write_all(&tcp_frame(&payload))).await,
            Self::Udp { socket, .. } => timeout(limit, async { socket.send(&payload).await.map(drop) }).await,
        };
        sent.map_err(|_| ClientError::Timeout("send"))?.map_err(ClientError::from)
    }

    /// The next packet from the terminal, waiting at most `limit`.
    pub(crate) async fn recv(&mut self, limit: Duration) -> Result<Packet, ClientError> {
        let deadline = tokio::time::Instant::now() + limit;
        match self {
            Self::Tcp { stream, decoder, buf } => loop {
                if let Some(frame) = decoder.next_frame()? {
                    return Ok(Packet::decode(&frame)?);
                }
                let n = tokio::time::timeout_at(deadline, stream.read(buf))
                    .await
                    .map_err(|_| ClientError::Timeout("reply"))??;
                if n == 0 {
                    return Err(ClientError::Closed);
                }
                decoder.feed(buf.get(..n).unwrap_or_default());
            },
            Self::Udp { socket, buf } => loop {
                let n = tokio::time::timeout_at(deadline, socket.recv(buf))
                    .await
                    .map_err(|_| ClientError::Timeout("reply"))??;
                // A runt datagram is noise on UDP, not a broken stream: skip it.
                if let Ok(p) = Packet::decode(buf.get(..n).unwrap_or_default()) {
                    return Ok(p);
                }
            },
        }
    }
}
