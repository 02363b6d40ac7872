using System.CommandLine;
using System.Reflection;
using SegaLearn.Cli.Onnx;
using SegaLearn.Serialization;

namespace SegaLearn.Cli;

/// <summary><c>segalearn export</c>: a saved model as an ONNX file (see <see cref="OnnxModelWriter"/>), written atomically.</summary>
internal static class ExportCommand
{
    private static readonly Option<string> Model = new("--model") { Description = "a model file written by train --out", Required = true };
    private static readonly Option<string> Out = new("--out") { Description = "the ONNX file to write (input 'input' [N, features], output 'probabilities' [N, classes], or 'predictions' [N, 1] for a regression model)", Required = true };

    public static Command Create()
    {
        var command = new Command("export", "Export a saved model to ONNX, with its preprocessing, for ONNX Runtime, ML.NET or the browser.") { Model, Out };
        command.SetAction(Execute);
        return command;
    }

    private static int Execute(ParseResult parse)
    {
        var outPath = OptionParsing.OutputPath(parse.GetValue(Out)!, "--out");
        var inputs = ModelInputs.Load(parse.GetValue(Model)!);
        var version = typeof(ExportCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
        var bytes = OnnxModelWriter.Write(inputs.Network, inputs.Preprocessing, version);
        AtomicFile.Write(outPath, stream => stream.Write(bytes));
        Console.Error.WriteLine($"ONNX model ({inputs.Network.Architecture}) written to {outPath}");
        return ExitCodes.Success;
    }
}
