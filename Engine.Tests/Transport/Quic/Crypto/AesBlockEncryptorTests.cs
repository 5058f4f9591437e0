using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using Engine.Transport.Quic.Crypto;

namespace Engine.Tests.Transport.Quic.Crypto;

public class AesBlockEncryptorTests
{
    [Theory]
    // FIPS 197 Appendix C.1 and C.3.
    [InlineData("000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff", "69c4e0d86a7b0430d8cdb78070b4c55a")]
    [InlineData("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "00112233445566778899aabbccddeeff", "8ea2b7ca516745bfeafc49904b496089")]
    public void Encrypt_Fips197Vectors(string key, string plaintext, string ciphertext)
    {
        Assert.SkipUnless(AesBlockEncryptor.IsSupported, "no x86 AES instructions");
        var encryptor = new AesBlockEncryptor(Convert.FromHexString(key));

        Vector128<byte> result = encryptor.Encrypt(Vector128.Create(Convert.FromHexString(plaintext)));

        Assert.Equal(ciphertext, Convert.ToHexStringLower(ToArray(result)));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    public void Encrypt_RandomKeysAndBlocks_MatchPlatformAesEcb(int keyLength)
    {
        Assert.SkipUnless(AesBlockEncryptor.IsSupported, "no x86 AES instructions");
        var random = new Random(keyLength);
        for (int trial = 0; trial < 200; trial++)
        {
            byte[] key = new byte[keyLength];
            byte[] block = new byte[16];
            random.NextBytes(key);
            random.NextBytes(block);
            using var aes = Aes.Create();
            aes.Key = key;

            byte[] expected = aes.EncryptEcb(block, PaddingMode.None);

            Assert.Equal(expected, ToArray(new AesBlockEncryptor(key).Encrypt(Vector128.Create(block))));
        }
    }

    private static byte[] ToArray(Vector128<byte> vector)
    {
        byte[] bytes = new byte[16];
        vector.CopyTo(bytes);
        return bytes;
    }
}
