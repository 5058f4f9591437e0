using System.Security.Cryptography;
using Engine.Transport.Quic.Connection;
using Engine.Transport.Quic.Crypto;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Tls;

namespace Engine.Transport.Quic;

internal sealed partial class QuicConnectionCore
{
    /// <summary>Exponent we use to encode ACK Delay (the RFC default).</summary>
    private const int AckDelayExponent = 3;

    /// <summary>A peer may announce up to 2^62 ms; beyond a day it makes no difference and would overflow <see cref="TimeSpan"/>.</summary>
    private const ulong MaxHonouredIdleTimeoutMilliseconds = 24 * 60 * 60 * 1000;

    private bool _peerParametersApplied;
    private string? _transportParameterError;
    private int _peerAckDelayExponent = (int)TransportParameters.DefaultAckDelayExponent;
    private bool _handshakeDonePending;

    /// <summary>
    /// Applies everything TLS produced: handshake bytes go to the crypto streams, secrets become
    /// packet protection keys (in the order TLS gave them), and completion confirms the handshake.
    /// </summary>
    private QuicTransportErrorCode DrainTlsOutput(TimeSpan now)
    {
        while (_tls.TryDequeue(out TlsOutput output))
        {
            PacketSpaceState space = Space(TlsAdapter.ToSpace(output.Level));
            switch (output.Kind)
            {
                case TlsOutputKind.HandshakeData:
                    if (!space.CryptoSend.TryAppend(output.Data))
                    {
                        _transportParameterError = "TLS produced more handshake data than a crypto stream holds";
                        return QuicTransportErrorCode.InternalError;
                    }

                    break;
                case TlsOutputKind.ReadSecret:
                    space.ReadKeys?.Dispose();
                    space.ReadKeys = PacketProtection.FromSecret(TlsAdapter.ToPacketSuite(output.CipherSuite), output.Data);
                    CryptographicOperations.ZeroMemory(output.Data); // TLS hands over a copy; keys keep their own
                    break;
                case TlsOutputKind.WriteSecret:
                    space.WriteKeys?.Dispose();
                    space.WriteKeys = PacketProtection.FromSecret(TlsAdapter.ToPacketSuite(output.CipherSuite), output.Data);
                    CryptographicOperations.ZeroMemory(output.Data);
                    if (output.Level == TlsEncryptionLevel.Handshake)
                    {
                        _recovery.HasHandshakeKeys = true;
                    }

                    break;
            }
        }

        if (!_peerParametersApplied && _tls.PeerTransportParameters is { } peer)
        {
            QuicTransportErrorCode error = ApplyPeerTransportParameters(peer, now);
            if (error != QuicTransportErrorCode.NoError)
            {
                return error;
            }
        }

        if (_tls.IsHandshakeComplete && _state == ConnectionState.Handshaking)
        {
            _state = ConnectionState.Established;
            Emit(QuicConnectionEventKind.HandshakeCompleted);
            if (IsServer)
            {
                // A server's handshake is confirmed on completion (RFC 9001 §4.1.2).
                _handshakeDonePending = true;
                ConfirmHandshake();
            }
        }

        return QuicTransportErrorCode.NoError;
    }

    private QuicTransportErrorCode ApplyPeerTransportParameters(TransportParameters peer, TimeSpan now)
    {
        _peerParametersApplied = true;

        // RFC 9000 §7.3: the connection IDs in the handshake must match the ones in the packets.
        ReadOnlySpan<byte> expectedSource = _connectionIds.Remote;
        if (peer.InitialSourceConnectionId is null || !peer.InitialSourceConnectionId.AsSpan().SequenceEqual(expectedSource))
        {
            _transportParameterError = "initial_source_connection_id does not match the peer's Source Connection ID";
            return QuicTransportErrorCode.TransportParameterError;
        }

        if (!IsServer && (peer.OriginalDestinationConnectionId is null
            || !peer.OriginalDestinationConnectionId.AsSpan().SequenceEqual(_connectionIds.OriginalDestination)))
        {
            _transportParameterError = "original_destination_connection_id does not match our first Destination Connection ID";
            return QuicTransportErrorCode.TransportParameterError;
        }

        if (!IsServer && peer.RetrySourceConnectionId is not null)
        {
            _transportParameterError = "retry_source_connection_id without a Retry";
            return QuicTransportErrorCode.TransportParameterError;
        }

        _peerAckDelayExponent = (int)peer.AckDelayExponent;
        _datagrams.PeerMaxFrameSize = (int)Math.Min(peer.MaxDatagramFrameSize, int.MaxValue);
        _path.PeerMaxUdpPayloadSize = (int)Math.Min(peer.MaxUdpPayloadSize, 65527);
        _recovery.PeerMaxAckDelay = TimeSpan.FromMilliseconds(peer.MaxAckDelay);
        _streams.ApplyPeerTransportParameters(peer);
        _peerIdleTimeout = TimeSpan.FromMilliseconds(Math.Min(peer.MaxIdleTimeout, MaxHonouredIdleTimeoutMilliseconds));
        _idleDeadline = now + IdleTimeoutWithFloor();
        return QuicTransportErrorCode.NoError;
    }

    /// <summary>HANDSHAKE_DONE from the server confirms the client's handshake (RFC 9001 §4.1.2).</summary>
    private QuicTransportErrorCode OnHandshakeDone(TimeSpan now)
    {
        _ = now;
        if (!_tls.IsHandshakeComplete)
        {
            return QuicTransportErrorCode.ProtocolViolation;
        }

        ConfirmHandshake();
        return QuicTransportErrorCode.NoError;
    }

    private void ConfirmHandshake()
    {
        if (IsHandshakeConfirmed)
        {
            return;
        }

        IsHandshakeConfirmed = true;
        _recovery.HandshakeConfirmed = true;
        _recovery.PeerCompletedAddressValidation = true;
        DiscardSpace(QuicPacketSpace.Initial);
        DiscardSpace(QuicPacketSpace.Handshake); // RFC 9001 §4.9.2
    }

    private void DiscardSpace(QuicPacketSpace spaceId)
    {
        if (_spaces.Discard(spaceId))
        {
            _recovery.DiscardSpace(spaceId);
        }
    }
}
