using System.CommandLine;
using System.Globalization;
using System.Text;
using SegaLearn.Data;
using SegaLearn.Serialization;

namespace SegaLearn.Cli;

/// <summary>
/// <c>segalearn predict</c>: a CSV with <c>prediction</c> (class index) then <c>p0..pK</c>, or for a regression model
/// the predicted value as <c>prediction</c>, one row per input row in the input's order (also for the data set the model
/// was trained on), to stdout or atomically to <c>--out</c>.
/// </summary>
internal static class PredictCommand
{
    private static readonly Option<string> Model = new("--model") { Description = "a model file written by train --out", Required = true };
    private static readonly Option<string> Data = new("--data") { Description = "the data to predict, every row in order: a CSV with or without its label column, or a built-in data set", Required = true };
    private static readonly Option<string?> LabelColumn = new("--label-column") { Description = "CSV label column to leave out, by name or 0-based index" };
    private static readonly Option<string?> Out = new("--out") { Description = "write the CSV to this file instead of stdout" };

    public static Command Create()
    {
        var command = new Command("predict", "Predict classes and probabilities with a saved model.") { Model, Data, LabelColumn, Out };
        command.SetAction(Execute);
        return command;
    }

    private static int Execute(ParseResult parse)
    {
        var outPath = parse.GetValue(Out) is { } o ? OptionParsing.OutputPath(o, "--out") : null;
        var inputs = ModelInputs.Load(parse.GetValue(Model)!);
        var (features, description) = inputs.SelectForPrediction(parse.GetValue(Data)!, parse.GetValue(LabelColumn));
        var csv = inputs.Network.Architecture.IsRegression ? Values(inputs.Network.PredictValues(features)) : Classes(inputs.Network, features);

        if (outPath is null)
        {
            Console.Out.Write(csv.ToString());
        }
        else
        {
            var bytes = Encoding.UTF8.GetBytes(csv.ToString());
            AtomicFile.Write(outPath, stream => stream.Write(bytes));
            Console.Error.WriteLine($"{features.Rows} predictions ({description}) written to {outPath}");
        }

        return ExitCodes.Success;
    }

    private static StringBuilder Classes(NeuralNetwork network, Features features)
    {
        var probabilities = network.PredictProbabilities(features);
        var predictions = network.Predict(features);
        var classes = probabilities.GetLength(1);
        var csv = new StringBuilder();
        csv.Append("prediction");
        for (var c = 0; c < classes; c++)
        {
            csv.Append(CultureInfo.InvariantCulture, $",p{c}");
        }

        csv.Append('\n');
        for (var i = 0; i < predictions.Length; i++)
        {
            csv.Append(predictions[i].ToString(CultureInfo.InvariantCulture));
            for (var c = 0; c < classes; c++)
            {
                csv.Append(',').Append(probabilities[i, c].ToString("R", CultureInfo.InvariantCulture));
            }

            csv.Append('\n');
        }

        return csv;
    }

    /// <summary>A regression model's values: <c>prediction</c>, or <c>prediction0..K</c> for several outputs.</summary>
    private static StringBuilder Values(float[,] values)
    {
        var outputs = values.GetLength(1);
        var csv = new StringBuilder();
        csv.AppendJoin(',', outputs == 1 ? ["prediction"] : Enumerable.Range(0, outputs).Select(o => string.Create(CultureInfo.InvariantCulture, $"prediction{o}")));
        csv.Append('\n');
        for (var i = 0; i < values.GetLength(0); i++)
        {
            for (var o = 0; o < outputs; o++)
            {
                csv.Append(o == 0 ? string.Empty : ",").Append(values[i, o].ToString("R", CultureInfo.InvariantCulture));
            }

            csv.Append('\n');
        }

        return csv;
    }
}
