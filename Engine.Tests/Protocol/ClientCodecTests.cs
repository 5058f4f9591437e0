using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Engine.Demo;
using Engine.Protocol;
using MemoryPack;

namespace Engine.Tests.Protocol;

/// <summary>
/// The browser codec is generated from the C# types (<see cref="ClientCodecGenerator"/>); these tests
/// fail when the checked-in module drifts, and run the real JavaScript codec under Node against
/// bytes MemoryPack produced, in both directions.
/// </summary>
public class ClientCodecTests
{
    private static readonly Type[] GameTypes = [typeof(ArenaDot)];

    [Fact]
    public void Generate_CheckedInModule_MatchesCSharpTypes()
    {
        string path = Path.Combine(RepoRoot(), ClientCodecGenerator.DefaultRelativePath);
        string expected = ClientCodecGenerator.Generate(GameTypes);

        Assert.True(File.ReadAllText(path) == expected,
            $"{ClientCodecGenerator.DefaultRelativePath} is stale: run `dotnet run --project Engine -- generate-client-codec` and commit it.");
    }

    [Fact]
    public async Task JavaScriptCodec_EveryMessage_DecodesCSharpBytesAndReEncodesThemIdentically()
    {
        var vectors = new List<object>();
        foreach ((MessageType type, Type body) in MessageCatalog.All)
        {
            object sample = Sample(body, seed: (int)type);
            byte[] bytes = (byte[])typeof(MessageCodec).GetMethod(nameof(MessageCodec.ToArray))!.MakeGenericMethod(body).Invoke(null, [sample])!;
            vectors.Add(new { name = type.ToString(), hex = Convert.ToHexString(bytes), fields = Fields(sample) });
        }

        var dot = new ArenaDot { PlayerId = 3, X = 1.5f, Y = -2.25f, Hue = 120 };
        vectors.Add(new { name = "ArenaDot", hex = Convert.ToHexString(MemoryPackSerializer.Serialize(dot)), fields = (object?)null });

        string output = await RunNodeAsync(JsonSerializer.Serialize(vectors));

        Assert.Equal("ok " + vectors.Count, output.Trim());
    }

    [Fact]
    public async Task JavaScriptCodec_ClientMessagesWithNullOrMissingMembers_SendOnlyNullsTheSchemaAllows()
    {
        string dir = Path.Combine(RepoRoot(), "samples", "browser-client");
        string script = $$"""
            import { encodeMessage } from '{{new Uri(Path.Combine(dir, "codec.js")).AbsoluteUri}}';
            import { MessageBodies, MessageType, Schemas } from '{{new Uri(Path.Combine(dir, "protocol.generated.js")).AbsoluteUri}}';
            const hex = (b) => Buffer.from(b).toString('hex').toUpperCase();
            const out = [];
            for (const [name, code] of Object.entries(MessageType)) {
              if (code >= 0x80) continue; // client-to-server only
              const schema = Schemas[MessageBodies[code]];
              out.push({ name, hex: hex(encodeMessage(name, Object.fromEntries(schema.map(([member]) => [member, null])))) });
              out.push({ name, hex: hex(encodeMessage(name, {})) });
            }
            console.log(JSON.stringify(out));
            """;

        JsonElement encoded = JsonDocument.Parse(await NodeScript.RunAsync(script)).RootElement;

        var context = new NullabilityInfoContext();
        (MessageType Type, Type Body)[] clientMessages = [.. MessageCatalog.All.Where(m => MessageCatalog.IsClientToServer(m.Type))];
        Assert.Equal(clientMessages.Length * 2, encoded.GetArrayLength());
        foreach (JsonElement vector in encoded.EnumerateArray())
        {
            Type body = clientMessages.Single(m => m.Type.ToString() == vector.GetProperty("name").GetString()).Body;
            object decoded = MessageCodecTests.Decode(body, Convert.FromHexString(vector.GetProperty("hex").GetString()!)); // throws on a forbidden null
            foreach ((string name, _, PropertyInfo property) in ClientCodecGenerator.Members(body))
            {
                bool nullable = !property.PropertyType.IsValueType && context.Create(property).ReadState != NullabilityState.NotNull;
                object? value = property.GetValue(decoded);
                Assert.True(nullable ? value is null : value is not null, $"{body.Name}.{name} decoded as {value ?? "null"}.");
            }
        }
    }

    private static Dictionary<string, object?> Fields(object message) =>
        ClientCodecGenerator.Members(message.GetType()).ToDictionary(m => m.Name, m => Normalize(m.Property.GetValue(message)));

    private static object? Normalize(object? value) => value switch
    {
        byte[] bytes => bytes.Select(b => (int)b).ToArray(),
        Array array when MessageCatalog.Embedded.Contains(array.GetType().GetElementType()) => array.Cast<object>().Select(Fields).ToArray(),
        Enum e => Convert.ToInt64(e, System.Globalization.CultureInfo.InvariantCulture),
        _ => value,
    };

    // Two distinct samples of an embedded type (RoomMember, InputEntry, DocumentEntry, ...).
    private static Array SampleArray(Type element, int seed)
    {
        var array = Array.CreateInstance(element, 2);
        array.SetValue(Sample(element, seed), 0);
        array.SetValue(Sample(element, seed + 10), 1);
        return array;
    }

    // Fills every member with a distinct non-default value, including non-ASCII text.
    internal static object Sample(Type type, int seed)
    {
        object instance = Activator.CreateInstance(type)!;
        int i = seed;
        foreach ((_, _, PropertyInfo p) in ClientCodecGenerator.Members(type))
        {
            i++;
            Type t = p.PropertyType;
            object? value = t switch
            {
                _ when t == typeof(string) => $"text-{i}-é✓",
                _ when t == typeof(byte[]) => new byte[] { 1, (byte)i, 255 },
                _ when t == typeof(bool) => true,
                _ when t == typeof(int) => -1000 * i,
                _ when t == typeof(uint) => 3_000_000_000u + (uint)i,
                _ when t == typeof(long) => 1_700_000_000_000L + i,
                _ when t == typeof(double) => 1234.5 + i,
                _ when t == typeof(ErrorCode) => ErrorCode.RateLimited,
                _ when t.IsArray && MessageCatalog.Embedded.Contains(t.GetElementType()) => SampleArray(t.GetElementType()!, i),
                _ => throw new InvalidOperationException($"No sample for {type.Name}.{p.Name} ({t.Name}); extend the test."),
            };
            p.SetValue(instance, value);
        }

        return instance;
    }

    private static async Task<string> RunNodeAsync(string vectorsJson)
    {
        string codec = NodeScript.SampleModule("codec.js");
        string script = $$"""
            import { decodeMessage, encodeMessage, decodeObject, encodeObject } from '{{codec}}';
            import assert from 'node:assert/strict';
            const vectors = JSON.parse(await new Promise((resolve) => { let s = ''; process.stdin.on('data', (d) => s += d); process.stdin.on('end', () => resolve(s)); }));
            const hex = (b) => Buffer.from(b).toString('hex').toUpperCase();
            const plain = (v) => v instanceof Uint8Array ? [...v] : Array.isArray(v) ? v.map(plain) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v;
            for (const v of vectors) {
              const bytes = Buffer.from(v.hex, 'hex');
              if (v.name === 'ArenaDot') {
                const d = decodeObject('ArenaDot', new Uint8Array(bytes));
                assert.equal(d.playerId, 3); assert.equal(d.x, 1.5); assert.equal(d.y, -2.25); assert.equal(d.hue, 120);
                assert.equal(hex(encodeObject('ArenaDot', d)), v.hex, 'ArenaDot re-encoding');
                continue;
              }
              const m = decodeMessage(new Uint8Array(bytes));
              assert.equal(m.type, v.name);
              assert.deepEqual(plain(m.body), v.fields, `${v.name} fields`);
              assert.equal(hex(encodeMessage(v.name, m.body)), v.hex, `${v.name} re-encoding`);
            }
            console.log('ok ' + vectors.length);
            """;
        return await NodeScript.RunAsync(script, vectorsJson);
    }

    internal static string RepoRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Engine.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("Engine.sln not found above the test binaries.");
    }
}
