using System.Reflection;
using System.Reflection.Emit;
using Akka.Actor;

namespace SegaLearn.Distributed.Tests;

/// <summary>
/// The message types the actors of an assembly register with <c>Receive&lt;T&gt;</c>, read from their IL (constructors,
/// methods, and the lambdas and closures nested in the actor), so that a message added to an actor is found without
/// anyone listing it.
/// </summary>
internal static class ActorReceives
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(field => (OpCode)field.GetValue(null)!)
        .ToDictionary(code => code.Value);

    private const BindingFlags Declared =
        BindingFlags.DeclaredOnly | BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;

    public static IReadOnlySet<Type> Of(Assembly assembly)
    {
        var received = new HashSet<Type>();
        foreach (var actor in assembly.GetTypes().Where(type => typeof(ActorBase).IsAssignableFrom(type) && !type.IsAbstract))
        {
            foreach (var type in WithNested(actor))
            {
                foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
                {
                    received.UnionWith(ReceivedIn(method));
                }
            }
        }

        return received;
    }

    private static IEnumerable<Type> WithNested(Type type) =>
        type.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic).SelectMany(WithNested).Prepend(type);

    private static IEnumerable<Type> ReceivedIn(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }

        var position = 0;
        while (position < il.Length)
        {
            var value = il[position] == 0xFE ? (short)(0xFE00 | il[position + 1]) : il[position];
            var code = OpCodesByValue[value];
            position += code.Size;
            if (code.OperandType == OperandType.InlineMethod
                && method.Module.ResolveMethod(BitConverter.ToInt32(il, position), GenericArguments(method.DeclaringType), GenericArguments(method)) is MethodInfo
                {
                    IsGenericMethod: true, Name: "Receive" or "ReceiveAsync",
                } called
                && called.DeclaringType == typeof(ReceiveActor))
            {
                yield return called.GetGenericArguments()[0];
            }

            position += OperandSize(code, il, position);
        }
    }

    private static Type[]? GenericArguments(Type? type) => type is { IsGenericType: true } ? type.GetGenericArguments() : null;

    private static Type[]? GenericArguments(MethodBase method) => method.IsGenericMethod ? method.GetGenericArguments() : null;

    private static int OperandSize(OpCode code, byte[] il, int position) => code.OperandType switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, position)),
        _ => 4,
    };
}
