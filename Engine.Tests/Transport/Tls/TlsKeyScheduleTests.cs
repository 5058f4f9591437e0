using System.Security.Cryptography;
using Engine.Transport.Tls;

namespace Engine.Tests.Transport.Tls;

/// <summary>RFC 8448 §3 "Simple 1-RTT Handshake", byte for byte.</summary>
public class TlsKeyScheduleTests
{
    private static byte[] Hex(string text) => Convert.FromHexString(string.Concat(text.Where(char.IsAsciiHexDigit)));

    private static readonly byte[] ClientHello = Hex("""
        01 00 00 c0 03 03 cb 34 ec b1 e7 81 63 ba 1c 38 c6 da cb 19 6a 6d
        ff a2 1a 8d 99 12 ec 18 a2 ef 62 83 02 4d ec e7 00 00 06 13 01 13
        03 13 02 01 00 00 91 00 00 00 0b 00 09 00 00 06 73 65 72 76 65 72
        ff 01 00 01 00 00 0a 00 14 00 12 00 1d 00 17 00 18 00 19 01 00 01
        01 01 02 01 03 01 04 00 23 00 00 00 33 00 26 00 24 00 1d 00 20 99
        38 1d e5 60 e4 bd 43 d2 3d 8e 43 5a 7d ba fe b3 c0 6e 51 c1 3c ae
        4d 54 13 69 1e 52 9a af 2c 00 2b 00 03 02 03 04 00 0d 00 20 00 1e
        04 03 05 03 06 03 02 03 08 04 08 05 08 06 04 01 05 01 06 01 02 01
        04 02 05 02 06 02 02 02 00 2d 00 02 01 01 00 1c 00 02 40 01
        """);

    private static readonly byte[] ServerHello = Hex("""
        02 00 00 56 03 03 a6 af 06 a4 12 18 60 dc 5e 6e 60 24 9c d3 4c 95
        93 0c 8a c5 cb 14 34 da c1 55 77 2e d3 e2 69 28 00 13 01 00 00 2e
        00 33 00 24 00 1d 00 20 c9 82 88 76 11 20 95 fe 66 76 2b db f7 c6
        72 e1 56 d6 cc 25 3b 83 3d f1 dd 69 b1 b0 4e 75 1f 0f 00 2b 00 02
        03 04
        """);

    private static readonly byte[] EncryptedExtensions = Hex("""
        08 00 00 24 00 22 00 0a 00 14 00 12 00 1d 00 17 00 18 00 19 01 00
        01 01 01 02 01 03 01 04 00 1c 00 02 40 01 00 00 00 00
        """);

    private static readonly byte[] Certificate = Hex("""
        0b 00 01 b9 00 00 01 b5 00 01 b0 30 82 01 ac 30 82 01 15 a0 03 02
        01 02 02 01 02 30 0d 06 09 2a 86 48 86 f7 0d 01 01 0b 05 00 30 0e
        31 0c 30 0a 06 03 55 04 03 13 03 72 73 61 30 1e 17 0d 31 36 30 37
        33 30 30 31 32 33 35 39 5a 17 0d 32 36 30 37 33 30 30 31 32 33 35
        39 5a 30 0e 31 0c 30 0a 06 03 55 04 03 13 03 72 73 61 30 81 9f 30
        0d 06 09 2a 86 48 86 f7 0d 01 01 01 05 00 03 81 8d 00 30 81 89 02
        81 81 00 b4 bb 49 8f 82 79 30 3d 98 08 36 39 9b 36 c6 98 8c 0c 68
        de 55 e1 bd b8 26 d3 90 1a 24 61 ea fd 2d e4 9a 91 d0 15 ab bc 9a
        95 13 7a ce 6c 1a f1 9e aa 6a f9 8c 7c ed 43 12 09 98 e1 87 a8 0e
        e0 cc b0 52 4b 1b 01 8c 3e 0b 63 26 4d 44 9a 6d 38 e2 2a 5f da 43
        08 46 74 80 30 53 0e f0 46 1c 8c a9 d9 ef bf ae 8e a6 d1 d0 3e 2b
        d1 93 ef f0 ab 9a 80 02 c4 74 28 a6 d3 5a 8d 88 d7 9f 7f 1e 3f 02
        03 01 00 01 a3 1a 30 18 30 09 06 03 55 1d 13 04 02 30 00 30 0b 06
        03 55 1d 0f 04 04 03 02 05 a0 30 0d 06 09 2a 86 48 86 f7 0d 01 01
        0b 05 00 03 81 81 00 85 aa d2 a0 e5 b9 27 6b 90 8c 65 f7 3a 72 67
        17 06 18 a5 4c 5f 8a 7b 33 7d 2d f7 a5 94 36 54 17 f2 ea e8 f8 a5
        8c 8f 81 72 f9 31 9c f3 6b 7f d6 c5 5b 80 f2 1a 03 01 51 56 72 60
        96 fd 33 5e 5e 67 f2 db f1 02 70 2e 60 8c ca e6 be c1 fc 63 a4 2a
        99 be 5c 3e b7 10 7c 3c 54 e9 b9 eb 2b d5 20 3b 1c 3b 84 e0 a8 b2
        f7 59 40 9b a3 ea c9 d9 1d 40 2d cc 0c c8 f8 96 12 29 ac 91 87 b4
        2b 4d e1 00 00
        """);

    private static readonly byte[] CertificateVerify = Hex("""
        0f 00 00 84 08 04 00 80 5a 74 7c 5d 88 fa 9b d2 e5 5a b0 85 a6 10
        15 b7 21 1f 82 4c d4 84 14 5a b3 ff 52 f1 fd a8 47 7b 0b 7a bc 90
        db 78 e2 d3 3a 5c 14 1a 07 86 53 fa 6b ef 78 0c 5e a2 48 ee aa a7
        85 c4 f3 94 ca b6 d3 0b be 8d 48 59 ee 51 1f 60 29 57 b1 54 11 ac
        02 76 71 45 9e 46 44 5c 9e a5 8c 18 1e 81 8e 95 b8 c3 fb 0b f3 27
        84 09 d3 be 15 2a 3d a5 04 3e 06 3d da 65 cd f5 ae a2 0d 53 df ac
        d4 2f 74 f3
        """);

    private static readonly byte[] ServerFinished = Hex("""
        14 00 00 20 9b 9b 14 1d 90 63 37 fb d2 cb dc e7 1d f4 de da
        4a b4 2c 30 95 72 cb 7f ff ee 54 54 b7 8f 07 18
        """);

    private static readonly byte[] ClientFinished = Hex("""
        14 00 00 20 a8 ec 43 6d 67 76 34 ae 52 5a c1 fc eb e1 1a 03 9e c1
        76 94 fa c6 e9 85 27 b6 42 f2 ed d5 ce 61
        """);

    private static readonly byte[] SharedSecret = Hex("""
        8b d4 05 4f b5 5b 9d 63 fd fb ac f9 f0 4b 9f 0d 35 e6 d6 3f 53 75
        63 ef d4 62 72 90 0f 89 49 2d
        """);

    private static TlsKeySchedule Rfc8448Schedule()
    {
        var schedule = TlsKeySchedule.ForCipherSuite(TlsConstants.TlsAes128GcmSha256);
        schedule.DeriveHandshakeSecret(SharedSecret);
        return schedule;
    }

    private static byte[] TranscriptHash(params byte[][] messages)
    {
        using var transcript = new TlsTranscript(HashAlgorithmName.SHA256);
        foreach (byte[] message in messages)
        {
            transcript.Append(message);
        }

        return transcript.GetCurrentHash();
    }

    [Fact]
    public void Messages_Rfc8448_HaveDocumentedLengths()
    {
        Assert.Equal(196, ClientHello.Length);
        Assert.Equal(90, ServerHello.Length);
        Assert.Equal(40, EncryptedExtensions.Length);
        Assert.Equal(445, Certificate.Length);
        Assert.Equal(136, CertificateVerify.Length);
        Assert.Equal(36, ServerFinished.Length);
        Assert.Equal(36, ClientFinished.Length);
    }

    [Fact]
    public void EarlySecret_NoPsk_MatchesRfc8448()
    {
        var schedule = new TlsKeySchedule(HashAlgorithmName.SHA256);
        Assert.Equal(Hex("33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a"), schedule.EarlySecret);
    }

    [Fact]
    public void DeriveEmptySalt_EarlySecret_MatchesRfc8448Derived()
    {
        var schedule = new TlsKeySchedule(HashAlgorithmName.SHA256);
        Assert.Equal(
            Hex("6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba"),
            TlsKeySchedule.DeriveEmptySalt(HashAlgorithmName.SHA256, schedule.EarlySecret));
    }

    [Fact]
    public void DeriveHandshakeSecret_X25519SharedSecret_MatchesRfc8448()
    {
        Assert.Equal(Hex("1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac"), Rfc8448Schedule().HandshakeSecret);
    }

    [Fact]
    public void HandshakeTrafficSecrets_ClientHelloServerHelloTranscript_MatchRfc8448()
    {
        var schedule = Rfc8448Schedule();
        byte[] hash = TranscriptHash(ClientHello, ServerHello);
        Assert.Equal(
            Hex("b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21"),
            schedule.ClientHandshakeTrafficSecret(hash));
        Assert.Equal(
            Hex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38"),
            schedule.ServerHandshakeTrafficSecret(hash));
    }

    [Fact]
    public void MasterSecret_AfterHandshakeSecret_MatchesRfc8448()
    {
        Assert.Equal(Hex("18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919"), Rfc8448Schedule().MasterSecret);
    }

    [Fact]
    public void ApplicationTrafficSecrets_TranscriptThroughServerFinished_MatchRfc8448()
    {
        var schedule = Rfc8448Schedule();
        byte[] hash = TranscriptHash(ClientHello, ServerHello, EncryptedExtensions, Certificate, CertificateVerify, ServerFinished);
        Assert.Equal(
            Hex("9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5"),
            schedule.ClientApplicationTrafficSecret(hash));
        Assert.Equal(
            Hex("a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643"),
            schedule.ServerApplicationTrafficSecret(hash));
    }

    [Fact]
    public void ComputeFinishedVerifyData_ServerFinished_MatchesRfc8448()
    {
        var schedule = Rfc8448Schedule();
        byte[] serverHs = schedule.ServerHandshakeTrafficSecret(TranscriptHash(ClientHello, ServerHello));
        byte[] hash = TranscriptHash(ClientHello, ServerHello, EncryptedExtensions, Certificate, CertificateVerify);
        Assert.Equal(
            Hex("008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8"),
            TlsKeySchedule.FinishedKey(HashAlgorithmName.SHA256, serverHs));
        Assert.Equal(ServerFinished[4..], TlsKeySchedule.ComputeFinishedVerifyData(HashAlgorithmName.SHA256, serverHs, hash));
        Assert.True(TlsKeySchedule.VerifyFinished(HashAlgorithmName.SHA256, serverHs, hash, ServerFinished.AsSpan(4)));
    }

    [Fact]
    public void ComputeFinishedVerifyData_ClientFinished_MatchesRfc8448()
    {
        var schedule = Rfc8448Schedule();
        byte[] clientHs = schedule.ClientHandshakeTrafficSecret(TranscriptHash(ClientHello, ServerHello));
        byte[] hash = TranscriptHash(ClientHello, ServerHello, EncryptedExtensions, Certificate, CertificateVerify, ServerFinished);
        Assert.Equal(ClientFinished[4..], TlsKeySchedule.ComputeFinishedVerifyData(HashAlgorithmName.SHA256, clientHs, hash));
    }

    [Fact]
    public void VerifyFinished_OneBitFlipped_ReturnsFalse()
    {
        var schedule = Rfc8448Schedule();
        byte[] clientHs = schedule.ClientHandshakeTrafficSecret(TranscriptHash(ClientHello, ServerHello));
        byte[] hash = TranscriptHash(ClientHello, ServerHello, EncryptedExtensions, Certificate, CertificateVerify, ServerFinished);
        byte[] verifyData = ClientFinished[4..];
        verifyData[7] ^= 1;
        Assert.False(TlsKeySchedule.VerifyFinished(HashAlgorithmName.SHA256, clientHs, hash, verifyData));
        Assert.False(TlsKeySchedule.VerifyFinished(HashAlgorithmName.SHA256, clientHs, hash, verifyData.AsSpan(0, 31)));
    }

    [Fact]
    public void GetCurrentHash_ThenAppend_KeepsRunning()
    {
        using var transcript = new TlsTranscript(HashAlgorithmName.SHA256);
        transcript.Append(ClientHello);
        Assert.Equal(SHA256.HashData(ClientHello), transcript.GetCurrentHash());
        transcript.Append(ServerHello);
        Assert.Equal(SHA256.HashData([.. ClientHello, .. ServerHello]), transcript.GetCurrentHash());
        Assert.Equal(Hex("860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8"), transcript.GetCurrentHash());
    }

    [Theory]
    [InlineData("SHA256")]
    [InlineData("SHA384")]
    public void ReplaceClientHello1WithMessageHash_HelloRetryRequest_HashesSyntheticMessage(string name)
    {
        var algorithm = new HashAlgorithmName(name);
        byte[] helloRetryRequest = [2, 0, 0, 2, 3, 3];
        using var transcript = new TlsTranscript(algorithm);
        transcript.Append(ClientHello);
        transcript.ReplaceClientHello1WithMessageHash();
        transcript.Append(helloRetryRequest);
        transcript.Append(ClientHello);

        byte[] ch1Hash = name == "SHA384" ? SHA384.HashData(ClientHello) : SHA256.HashData(ClientHello);
        byte[] expectedInput = [254, 0, 0, (byte)ch1Hash.Length, .. ch1Hash, .. helloRetryRequest, .. ClientHello];
        byte[] expected = name == "SHA384" ? SHA384.HashData(expectedInput) : SHA256.HashData(expectedInput);
        Assert.Equal(expected, transcript.GetCurrentHash());
    }

    [Fact]
    public void ForCipherSuite_Aes256GcmSha384_DerivesEndToEndWith48ByteSecrets()
    {
        var schedule = TlsKeySchedule.ForCipherSuite(TlsConstants.TlsAes256GcmSha384);
        Assert.Equal(HashAlgorithmName.SHA384, schedule.Hash);
        Assert.Equal(
            Hex("7ee8206f5570023e6dc7519eb1073bc4e791ad37b5c382aa10ba18e2357e716971f9362f2c2fe2a76bfd78dfec4ea9b5"),
            schedule.EarlySecret);
        Assert.Equal(
            Hex("1591dac5cbbf0330a4a84de9c753330e92d01f0a88214b4464972fd668049e93e52f2b16fad922fdc0584478428f282b"),
            TlsKeySchedule.DeriveEmptySalt(schedule.Hash, schedule.EarlySecret));
        schedule.DeriveHandshakeSecret(SharedSecret);
        using var transcript = new TlsTranscript(schedule.Hash);
        transcript.Append(ClientHello);
        transcript.Append(ServerHello);
        byte[] chSh = transcript.GetCurrentHash();
        byte[] clientHs = schedule.ClientHandshakeTrafficSecret(chSh);
        byte[] serverHs = schedule.ServerHandshakeTrafficSecret(chSh);
        transcript.Append(EncryptedExtensions);
        byte[] serverVerify = TlsKeySchedule.ComputeFinishedVerifyData(schedule.Hash, serverHs, transcript.GetCurrentHash());
        transcript.Append(ServerFinished);
        byte[] chSf = transcript.GetCurrentHash();
        byte[] clientAp = schedule.ClientApplicationTrafficSecret(chSf);
        byte[] serverAp = schedule.ServerApplicationTrafficSecret(chSf);
        byte[] clientVerify = TlsKeySchedule.ComputeFinishedVerifyData(schedule.Hash, clientHs, chSf);

        byte[][] all = [schedule.HandshakeSecret, schedule.MasterSecret, clientHs, serverHs, clientAp, serverAp, serverVerify, clientVerify];
        Assert.All(all, secret => Assert.Equal(48, secret.Length));
        Assert.Equal(all.Length, all.Select(Convert.ToHexString).Distinct().Count());
        Assert.True(TlsKeySchedule.VerifyFinished(schedule.Hash, clientHs, chSf, clientVerify));
    }

    [Fact]
    public void ClientHandshakeTrafficSecret_WrongHashLength_Throws()
    {
        var schedule = Rfc8448Schedule();
        Assert.Throws<ArgumentException>(() => schedule.ClientHandshakeTrafficSecret(new byte[48]));
    }

    [Fact]
    public void HandshakeSecret_BeforeDerivation_Throws()
    {
        var schedule = new TlsKeySchedule(HashAlgorithmName.SHA256);
        Assert.Throws<InvalidOperationException>(() => schedule.HandshakeSecret);
    }
}
