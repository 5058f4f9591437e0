using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace Engine.Transport.Quic.Crypto;

/// <summary>
/// Encrypts single 16-byte blocks with AES-128 or AES-256 (FIPS 197) on the x86 AES
/// instructions, for header protection masks: one block per packet, where a native cipher call
/// costs more than the cipher itself. The key schedule is expanded once; nothing is allocated
/// per block. Only usable where <see cref="IsSupported"/>; callers keep a fallback.
/// </summary>
internal sealed class AesBlockEncryptor
{
    private readonly Vector128<byte>[] _roundKeys;

    public AesBlockEncryptor(ReadOnlySpan<byte> key)
    {
        if (!IsSupported)
        {
            throw new PlatformNotSupportedException("The x86 AES instructions are not available.");
        }

        if (key.Length is not (16 or 32))
        {
            throw new ArgumentException("AES keys here are 16 or 32 bytes.", nameof(key));
        }

        // FIPS 197 §5.2 with words read little-endian, so byte 0 of a word is its low byte:
        // RotWord is a right rotation by 8 bits and Rcon lands in the low byte.
        int keyWords = key.Length / 4;
        int rounds = keyWords + 6;
        Span<uint> words = stackalloc uint[4 * (14 + 1)];
        for (int i = 0; i < keyWords; i++)
        {
            words[i] = BinaryPrimitives.ReadUInt32LittleEndian(key[(4 * i)..]);
        }

        uint roundConstant = 1;
        for (int i = keyWords; i < 4 * (rounds + 1); i++)
        {
            uint temp = words[i - 1];
            if (i % keyWords == 0)
            {
                temp = SubWord((temp >> 8) | (temp << 24)) ^ roundConstant;
                roundConstant = (roundConstant << 1) ^ ((roundConstant & 0x80) != 0 ? 0x11bu : 0u);
            }
            else if (keyWords > 6 && i % keyWords == 4)
            {
                temp = SubWord(temp);
            }

            words[i] = words[i - keyWords] ^ temp;
        }

        _roundKeys = new Vector128<byte>[rounds + 1];
        for (int round = 0; round <= rounds; round++)
        {
            _roundKeys[round] = Vector128.Create(words[4 * round], words[(4 * round) + 1], words[(4 * round) + 2], words[(4 * round) + 3]).AsByte();
        }
    }

    public static bool IsSupported => X86Aes.IsSupported;

    /// <summary>Encrypts one block.</summary>
    public Vector128<byte> Encrypt(Vector128<byte> block)
    {
        Vector128<byte>[] keys = _roundKeys;
        Vector128<byte> state = block ^ keys[0];
        for (int round = 1; round < keys.Length - 1; round++)
        {
            state = X86Aes.Encrypt(state, keys[round]);
        }

        return X86Aes.EncryptLast(state, keys[^1]);
    }

    /// <summary>
    /// The S-box applied to each byte of a word. AESENCLAST is ShiftRows, SubBytes and a key XOR;
    /// with the word in all four columns ShiftRows changes nothing, and the key is zero.
    /// </summary>
    private static uint SubWord(uint word) =>
        X86Aes.EncryptLast(Vector128.Create(word).AsByte(), Vector128<byte>.Zero).AsUInt32().ToScalar();
}
