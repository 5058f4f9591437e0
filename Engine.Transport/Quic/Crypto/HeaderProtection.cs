using System.Runtime.Intrinsics;
using System.Security.Cryptography;

namespace Engine.Transport.Quic.Crypto;

/// <summary>
/// AES-based QUIC header protection (RFC 9001 §5.4.1–5.4.3): a mask from AES-ECB over a
/// 16-byte sample of the ciphertext hides the packet number length bits of the first byte
/// and the packet number itself. Works in place; allocates nothing per packet.
/// Not thread-safe: one instance belongs to one connection's packet path.
/// </summary>
internal sealed class HeaderProtection : IDisposable
{
    /// <summary>Bytes of ciphertext sampled for the mask.</summary>
    public const int SampleLength = 16;

    /// <summary>
    /// The sample starts this many bytes after the packet number offset, as if the packet
    /// number were always 4 bytes long, so the receiver can locate it before knowing the length.
    /// </summary>
    public const int SampleOffset = 4;

    /// <summary>Long headers protect the low 4 bits of the first byte (reserved + length).</summary>
    private const byte LongHeaderFirstByteMask = 0x0f;

    /// <summary>Short headers also protect the key phase bit: the low 5 bits.</summary>
    private const byte ShortHeaderFirstByteMask = 0x1f;

    private const byte LongHeaderFormBit = 0x80;

    // On x86 with AES instructions the mask is computed in managed code (no native call per
    // packet). Elsewhere the array-based ICryptoTransform is the allocation-free ECB path;
    // Aes.EncryptEcb(span) re-creates a native cipher per call. Scratch arrays are reused.
    private readonly AesBlockEncryptor? _blockEncryptor;
    private readonly Aes? _aes;
    private readonly ICryptoTransform? _ecbEncryptor;
    private readonly byte[] _sample = new byte[SampleLength];
    private readonly byte[] _mask = new byte[SampleLength];

    public HeaderProtection(ReadOnlySpan<byte> headerProtectionKey)
    {
        if (headerProtectionKey.Length is not (16 or 32))
        {
            throw new ArgumentException("AES header protection keys are 16 or 32 bytes.", nameof(headerProtectionKey));
        }

        if (AesBlockEncryptor.IsSupported)
        {
            _blockEncryptor = new AesBlockEncryptor(headerProtectionKey);
            return;
        }

        _aes = Aes.Create();
        _aes.Key = headerProtectionKey.ToArray();
        _aes.Mode = CipherMode.ECB;
        _aes.Padding = PaddingMode.None;
        _ecbEncryptor = _aes.CreateEncryptor();
    }

    /// <summary>True when a packet of this length carries a full sample after the packet number offset.</summary>
    public static bool CanSample(int packetLength, int packetNumberOffset) =>
        packetNumberOffset >= 1 && packetLength - packetNumberOffset >= SampleOffset + SampleLength;

    /// <summary>
    /// Masks the first byte and the packet number of a packet whose payload is already
    /// encrypted. The packet number length is read from the still unprotected first byte.
    /// </summary>
    public void Apply(Span<byte> packet, int packetNumberOffset)
    {
        if (!CanSample(packet.Length, packetNumberOffset))
        {
            throw new ArgumentException("Packet too short to sample for header protection; pad the payload.", nameof(packet));
        }

        int packetNumberLength = (packet[0] & 0x03) + 1;
        ComputeMask(packet.Slice(packetNumberOffset + SampleOffset, SampleLength));
        packet[0] ^= (byte)(_mask[0] & FirstByteMask(packet[0]));
        XorPacketNumber(packet.Slice(packetNumberOffset, packetNumberLength));
    }

    /// <summary>
    /// Unmasks the first byte and the packet number in place. Returns false, touching nothing,
    /// when the packet is too short to hold the sample.
    /// </summary>
    public bool TryRemove(Span<byte> packet, int packetNumberOffset, out int packetNumberLength)
    {
        if (!CanSample(packet.Length, packetNumberOffset))
        {
            packetNumberLength = 0;
            return false;
        }

        ComputeMask(packet.Slice(packetNumberOffset + SampleOffset, SampleLength));
        // The header form bit is never masked, so the same mask choice applies on both sides.
        packet[0] ^= (byte)(_mask[0] & FirstByteMask(packet[0]));
        packetNumberLength = (packet[0] & 0x03) + 1;
        XorPacketNumber(packet.Slice(packetNumberOffset, packetNumberLength));
        return true;
    }

    public void Dispose()
    {
        _ecbEncryptor?.Dispose();
        _aes?.Dispose();
    }

    private static byte FirstByteMask(byte firstByte) =>
        (firstByte & LongHeaderFormBit) != 0 ? LongHeaderFirstByteMask : ShortHeaderFirstByteMask;

    private void ComputeMask(ReadOnlySpan<byte> sample)
    {
        if (_blockEncryptor is not null)
        {
            _blockEncryptor.Encrypt(Vector128.Create(sample)).CopyTo(_mask);
            return;
        }

        sample.CopyTo(_sample);
        _ecbEncryptor!.TransformBlock(_sample, 0, SampleLength, _mask, 0);
    }

    private void XorPacketNumber(Span<byte> packetNumber)
    {
        for (int i = 0; i < packetNumber.Length; i++)
        {
            packetNumber[i] ^= _mask[1 + i];
        }
    }
}
