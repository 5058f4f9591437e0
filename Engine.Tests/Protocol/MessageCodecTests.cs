using System.Reflection;
using System.Text.RegularExpressions;
using Engine.Protocol;
using MemoryPack;

namespace Engine.Tests.Protocol;

/// <summary>
/// Nulls on the wire: MemoryPack reads a null for any string, array or object (length -1, header
/// 255), so the codec must turn a null the schema forbids into a <see cref="ProtocolException"/>
/// (the connection closes with 1002) before game code dereferences it. The cases are generated
/// from <see cref="MessageCatalog"/> and the C# nullable annotations, so a new message or member
/// is covered without editing this file.
/// </summary>
public class MessageCodecTests
{
    /// <summary>Every (message, member path) where the schema forbids null: members, array elements, members of array elements.</summary>
    public static TheoryData<MessageType, string> ForbiddenNulls() => [.. Paths(nullable: false)];

    /// <summary>Every (message, member path) the schema marks nullable (<c>string?</c>).</summary>
    public static TheoryData<MessageType, string> AllowedNulls() => [.. Paths(nullable: true)];

    public static TheoryData<MessageType> AllTypes() => [.. MessageCatalog.All.Select(m => m.Type)];

    [Theory]
    [MemberData(nameof(ForbiddenNulls))]
    public void Read_NullWhereSchemaForbidsIt_ThrowsProtocolException(MessageType type, string path)
    {
        Type body = BodyOf(type);
        object message = ClientCodecTests.Sample(body, seed: (int)type);
        SetNull(message, path);
        byte[] bytes = Encode(body, message);

        ProtocolException error = Assert.Throws<ProtocolException>(() => Decode(body, bytes));

        Assert.Contains($"{body.Name}: {path} is null", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AllowedNulls))]
    public void Read_NullWhereSchemaAllowsIt_Decodes(MessageType type, string path)
    {
        Type body = BodyOf(type);
        object message = ClientCodecTests.Sample(body, seed: (int)type);
        SetNull(message, path);

        object decoded = Decode(body, Encode(body, message));

        Assert.Null(Resolve(decoded, path));
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Read_EveryMemberSet_Decodes(MessageType type)
    {
        Type body = BodyOf(type);
        object message = ClientCodecTests.Sample(body, seed: (int)type);

        object decoded = Decode(body, Encode(body, message));

        Assert.Equal(Encode(body, message), Encode(body, decoded));
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Read_EmptyArraysAndStrings_Decodes(MessageType type)
    {
        Type body = BodyOf(type);
        object message = Activator.CreateInstance(body)!; // the C# defaults: "" and []

        object decoded = Decode(body, Encode(body, message));

        Assert.IsType(body, decoded);
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void Read_NullBody_ThrowsProtocolException(MessageType type)
    {
        ProtocolException error = Assert.Throws<ProtocolException>(() => Decode(BodyOf(type), [(byte)type, 0xFF]));

        Assert.Contains("the body is null", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForbiddenNulls_Generated_IncludeTheClientStringsAndArrays()
    {
        // A guard on the generator above: were it to find nothing, the theory would pass vacuously.
        (MessageType Type, string Path)[] cases = [.. Paths(nullable: false)];

        Assert.Contains((MessageType.Chat, "Text"), cases);
        Assert.Contains((MessageType.Join, "Room"), cases);
        Assert.Contains((MessageType.Join, "Name"), cases);
        Assert.Contains((MessageType.Input, "Data"), cases);
        Assert.Contains((MessageType.Presence, "Members[0].Name"), cases);
        Assert.DoesNotContain((MessageType.Hello, "ResumeToken"), cases);
        Assert.DoesNotContain((MessageType.Join, "Token"), cases);
    }

    [Fact]
    public void ReadBody_ReusedInputInstance_AllocatesNothing()
    {
        byte[] bytes = MessageCodec.ToArray(new InputMessage { Sequence = 1, ClientTick = 2, Data = [3] });
        InputMessage? input = null;
        for (int i = 0; i < 10; i++)
        {
            MessageCodec.ReadBody(bytes, ref input); // warm up: the instance, its array, the checks
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            MessageCodec.ReadBody(bytes, ref input);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void ProtocolDoc_MessageTable_MarksExactlyTheNullableMembers()
    {
        string doc = File.ReadAllText(Path.Combine(ClientCodecTests.RepoRoot(), "docs", "protocol.md"));
        var types = MessageCatalog.All.Select(m => (Label: $"| 0x{(byte)m.Type:X2} | {m.Type} |", m.Body))
            .Concat(MessageCatalog.Embedded.Select(t => (Label: $"`{t.Name}` =", Body: t)));

        foreach ((string label, Type body) in types)
        {
            string line = doc.Split('\n').SingleOrDefault(l => l.StartsWith(label, StringComparison.Ordinal))
                ?? throw new Xunit.Sdk.XunitException($"docs/protocol.md has no line starting '{label}' for {body.Name}.");
            Dictionary<string, string> documented = Regex.Matches(line, @"`(\w+)` ((?:string|byte\[\]|\w+\[\]|[iuf](?:8|16|32|64)|bool)\??)")
                .ToDictionary(match => match.Groups[1].Value, match => match.Groups[2].Value);
            var context = new NullabilityInfoContext();

            foreach ((string name, _, PropertyInfo property) in ClientCodecGenerator.Members(body))
            {
                Assert.True(documented.TryGetValue(name, out string? type), $"docs/protocol.md does not list {body.Name}.{name}.");
                bool nullable = !property.PropertyType.IsValueType && context.Create(property).ReadState != NullabilityState.NotNull;
                Assert.True(type.EndsWith('?') == nullable, $"docs/protocol.md gives {body.Name}.{name} as '{type}', but it is {(nullable ? "" : "not ")}nullable.");
            }
        }
    }

    private static IEnumerable<(MessageType Type, string Path)> Paths(bool nullable) =>
        from message in MessageCatalog.All
        from member in ReferencePaths(message.Body, "")
        where member.Nullable == nullable
        select (message.Type, member.Path);

    /// <summary>Reference-typed member paths below <paramref name="type"/>, with whether null is allowed there.</summary>
    private static IEnumerable<(string Path, bool Nullable)> ReferencePaths(Type type, string prefix)
    {
        var context = new NullabilityInfoContext();
        foreach ((_, _, PropertyInfo property) in ClientCodecGenerator.Members(type))
        {
            Type t = property.PropertyType;
            if (t.IsValueType)
            {
                continue;
            }

            NullabilityInfo info = context.Create(property);
            string path = prefix + property.Name;
            yield return (path, info.ReadState != NullabilityState.NotNull);
            if (t.IsArray && t.GetElementType() is { IsValueType: false } element)
            {
                yield return (path + "[0]", info.ElementType?.ReadState != NullabilityState.NotNull);
                if (element.GetCustomAttribute<MemoryPackableAttribute>() is not null)
                {
                    foreach ((string Path, bool Nullable) inner in ReferencePaths(element, path + "[0]."))
                    {
                        yield return inner;
                    }
                }
            }
            else if (t.GetCustomAttribute<MemoryPackableAttribute>() is not null)
            {
                foreach ((string Path, bool Nullable) inner in ReferencePaths(t, path + "."))
                {
                    yield return inner;
                }
            }
        }
    }

    private static Type BodyOf(MessageType type) => MessageCatalog.All.Single(m => m.Type == type).Body;

    /// <summary>Sets the member or array element at <paramref name="path"/> (e.g. <c>Members[0].Name</c>) to null.</summary>
    private static void SetNull(object root, string path)
    {
        int split = path.LastIndexOf('.');
        object owner = split < 0 ? root : Resolve(root, path[..split])!;
        string last = split < 0 ? path : path[(split + 1)..];
        if (last.EndsWith("[0]", StringComparison.Ordinal))
        {
            var array = (Array)owner.GetType().GetProperty(last[..^3])!.GetValue(owner)!;
            array.SetValue(null, 0);
        }
        else
        {
            owner.GetType().GetProperty(last)!.SetValue(owner, null);
        }
    }

    private static object? Resolve(object root, string path)
    {
        object? current = root;
        foreach (string segment in path.Split('.'))
        {
            bool element = segment.EndsWith("[0]", StringComparison.Ordinal);
            string name = element ? segment[..^3] : segment;
            current = current!.GetType().GetProperty(name)!.GetValue(current);
            if (element)
            {
                current = ((Array)current!).GetValue(0);
            }
        }

        return current;
    }

    private static byte[] Encode(Type body, object message) =>
        (byte[])typeof(MessageCodec).GetMethod(nameof(MessageCodec.ToArray))!.MakeGenericMethod(body).Invoke(null, [message])!;

    internal static object Decode(Type body, byte[] bytes)
    {
        try
        {
            return typeof(MessageCodecTests).GetMethod(nameof(DecodeAs), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(body).Invoke(null, [bytes])!;
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
    }

    private static object DecodeAs<T>(byte[] bytes)
        where T : class => MessageCodec.Read<T>(bytes);
}
