package llm4j.model.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The built-in templates against published outputs for llama.cpp's test conversation
 * ({@code tests/test-chat-template.cpp}: system, user, assistant, user, an assistant reply padded with spaces,
 * user), and the sandbox against hostile templates.
 */
class ChatTemplateTest {

    static final List<ChatMessage> CONVERSATION = List.of(
            ChatMessage.system("You are a helpful assistant"),
            ChatMessage.user("Hello"),
            ChatMessage.assistant("Hi there"),
            ChatMessage.user("Who are you"),
            ChatMessage.assistant("   I am an assistant   "),
            ChatMessage.user("Another question"));

    private static String builtin(String name, String bos, String eos) throws ChatTemplateException {
        ChatTemplate t = BuiltinTemplates.byName(name);
        assertNotNull(t, name);
        return t.render(CONVERSATION, true, bos, eos);
    }

    @Test
    void chatmlIsOpenHermes() throws Exception {
        // test-chat-template.cpp, teknium/OpenHermes-2.5-Mistral-7B
        assertEquals("<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n"
                + "<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n"
                + "<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother question<|im_end|>\n"
                + "<|im_start|>assistant\n", builtin("chatml", "", ""));
    }

    @Test
    void llama3() throws Exception {
        // test-chat-template.cpp, Llama-3 (bos_token "")
        assertEquals("<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nWho are you<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nI am an assistant<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nAnother question<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
                builtin("llama3", "", ""));
        assertTrue(builtin("llama3", "<|begin_of_text|>", "").startsWith("<|begin_of_text|><|start_header_id|>system"));
    }

    @Test
    void mistralIsTheOfficialV1Template() throws Exception {
        // test-chat-template.cpp, "mistralai 'v1' template with a system prompt"
        assertEquals(" [INST] You are a helpful assistant\n\nHello [/INST] Hi there</s> [INST] Who are you [/INST]"
                + "    I am an assistant   </s> [INST] Another question [/INST]", builtin("mistral", "", "</s>"));
    }

    @Test
    void llama2PutsTheSystemPromptInTheFirstInstBlock() throws Exception {
        // with an empty bos_token this is test-chat-template.cpp's jinja output for the same template shape (vigogne-2)
        assertEquals("[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST] Hi there </s>[INST] Who are you [/INST]"
                + " I am an assistant </s>[INST] Another question [/INST]", builtin("llama2", "", "</s>"));
        // Meta's documented format: <s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST] {reply} </s><s>[INST] ...
        assertTrue(builtin("llama2", "<s>", "</s>").startsWith("<s>[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST] Hi there </s><s>[INST] Who"));
    }

    @Test
    void zephyr() throws Exception {
        // with eos "<|endoftext|>" this is exactly llama.cpp's built-in zephyr format (src/llama-chat.cpp)
        assertEquals("<|system|>\nYou are a helpful assistant<|endoftext|>\n<|user|>\nHello<|endoftext|>\n<|assistant|>\nHi there<|endoftext|>\n"
                + "<|user|>\nWho are you<|endoftext|>\n<|assistant|>\n   I am an assistant   <|endoftext|>\n<|user|>\nAnother question<|endoftext|>\n"
                + "<|assistant|>\n", builtin("zephyr", "", "<|endoftext|>"));
        // zephyr-7b-beta / TinyLlama-Chat model card: "<|system|>\n...</s>\n<|user|>\n...</s>\n<|assistant|>\n"
        assertEquals("<|system|>\nYou are a friendly chatbot</s>\n<|user|>\nHello</s>\n<|assistant|>\n",
                BuiltinTemplates.byName("zephyr").render(List.of(ChatMessage.system("You are a friendly chatbot"),
                        ChatMessage.user("Hello")), true, "<s>", "</s>"));
    }

    @Test
    void gemmaOpensTheFirstUserTurnWithTheSystemPrompt() throws Exception {
        // test-chat-template.cpp, google/gemma-7b-it, llama.cpp's output (system merged into the first user turn)
        assertEquals("<start_of_turn>user\nYou are a helpful assistant\n\nHello<end_of_turn>\n<start_of_turn>model\nHi there<end_of_turn>\n"
                + "<start_of_turn>user\nWho are you<end_of_turn>\n<start_of_turn>model\nI am an assistant<end_of_turn>\n"
                + "<start_of_turn>user\nAnother question<end_of_turn>\n<start_of_turn>model\n", builtin("gemma", "", ""));
    }

    @Test
    void publishedTemplatesRenderThroughJinjava() throws Exception {
        // templates exactly as models ship them (test-chat-template.cpp), rendered with the same engine as built-ins
        String hermes = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
        assertEquals(builtin("chatml", "", ""), new ChatTemplate("model", hermes).render(CONVERSATION, true, "", ""));
        String commandR = "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% elif false == true %}{% set loop_messages = messages %}{% set system_message = 'You are Command-R.' %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% if system_message != false %}{{ '<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>' + system_message + '<|END_OF_TURN_TOKEN|>' }}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% set content = message['content'] %}{% if message['role'] == 'user' %}{{ '<|START_OF_TURN_TOKEN|><|USER_TOKEN|>' + content.strip() + '<|END_OF_TURN_TOKEN|>' }}{% elif message['role'] == 'assistant' %}{{ '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>'  + content.strip() + '<|END_OF_TURN_TOKEN|>' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>' }}{% endif %}";
        assertEquals("<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>You are a helpful assistant<|END_OF_TURN_TOKEN|><|START_OF_TURN_TOKEN|><|USER_TOKEN|>Hello<|END_OF_TURN_TOKEN|>"
                + "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>Hi there<|END_OF_TURN_TOKEN|><|START_OF_TURN_TOKEN|><|USER_TOKEN|>Who are you<|END_OF_TURN_TOKEN|>"
                + "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>I am an assistant<|END_OF_TURN_TOKEN|><|START_OF_TURN_TOKEN|><|USER_TOKEN|>Another question<|END_OF_TURN_TOKEN|>"
                + "<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>", new ChatTemplate("model", commandR).render(CONVERSATION, true, "", ""));
        String deepseek = "{% if not add_generation_prompt is defined %}\n{% set add_generation_prompt = false %}\n{% endif %}\n{%- set ns = namespace(found=false) -%}\n{%- for message in messages -%}\n    {%- if message['role'] == 'system' -%}\n        {%- set ns.found = true -%}\n    {%- endif -%}\n{%- endfor -%}\n{{bos_token}}{%- if not ns.found -%}\n{{'You are an AI programming assistant\\n'}}\n{%- endif %}\n{%- for message in messages %}\n    {%- if message['role'] == 'system' %}\n{{ message['content'] }}\n    {%- else %}\n        {%- if message['role'] == 'user' %}\n{{'### Instruction:\\n' + message['content'] + '\\n'}}\n        {%- else %}\n{{'### Response:\\n' + message['content'] + '\\n<|EOT|>\\n'}}\n        {%- endif %}\n    {%- endif %}\n{%- endfor %}\n{% if add_generation_prompt %}\n{{'### Response:'}}\n{% endif %}";
        assertEquals("You are a helpful assistant### Instruction:\nHello\n### Response:\nHi there\n<|EOT|>\n### Instruction:\nWho are you\n"
                + "### Response:\n   I am an assistant   \n<|EOT|>\n### Instruction:\nAnother question\n### Response:\n",
                new ChatTemplate("model", deepseek).render(CONVERSATION, true, "", ""));
    }

    @Test
    void pythonStringMethodsWork() throws Exception {
        String t = "{{ messages[0].content.startswith('You') }}|{{ 'a,b'.split(',') | join('+') }}|{{ 'x'.upper() }}"
                + "|{{ '  y '.rstrip() }}|{{ messages[0].get('role') }}|{{ messages[0].get('missing', 'dflt') }}"
                + "|{% for k, v in messages[1].items() %}{{ k }}={{ v }};{% endfor %}|{{ 'user'.title() }}";
        assertEquals("true|a+b|X|  y|system|dflt|role=user;content=Hello;|User",
                new ChatTemplate("t", t).render(CONVERSATION, false, "", ""));
    }

    @Test
    void raiseExceptionGivesTheTemplatesMessage() {
        ChatTemplate t = new ChatTemplate("t", "{{ raise_exception('System role not supported') }}");
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> t.render(CONVERSATION, true, "", ""));
        assertTrue(e.getMessage().contains("System role not supported"), e.getMessage());
    }

    @Test
    void endlessLoopsStopAtTheTimeLimit() {
        ChatTemplate t = new ChatTemplate("t", "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}"
                + "{% endfor %}{% endfor %}{% endfor %}");
        ChatTemplateException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> assertThrows(ChatTemplateException.class, () -> t.render(CONVERSATION, true, "", "")));
        assertTrue(e.getMessage().contains("longer than"), e.getMessage());
    }

    @Test
    void hugeOutputIsRefused() {
        ChatTemplate t = new ChatTemplate("t", "{% for i in range(20) %}{{ '' | center(1000000) }}{% endfor %}");
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> t.render(CONVERSATION, true, "", ""));
        assertTrue(e.getMessage().contains("MiB"), e.getMessage());
    }

    @Test
    void filesAndClassesAreOutOfReach() {
        for (String hostile : List.of("{% include '/etc/passwd' %}", "{% import '/etc/passwd' as x %}",
                "{% extends 'llm4j/chat/chatml.jinja' %}", "{{ 'x'.getClass().forName('java.lang.Runtime') }}",
                "{{ messages.getClass() }}", "{{ ''.repeat(100000000) }}", "{{ 'x'.getBytes() }}")) {
            ChatTemplate t = new ChatTemplate("t", hostile);
            ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> t.render(CONVERSATION, true, "", ""), hostile);
            assertTrue(e.getMessage().startsWith("cannot render"), hostile + ": " + e.getMessage());
        }
        // a property named class resolves to nothing rather than a Class object
        try {
            assertEquals("", new ChatTemplate("t", "{{ 'x'.class }}").render(CONVERSATION, true, "", ""));
        } catch (ChatTemplateException e) {
            assertTrue(e.getMessage().startsWith("cannot render"));
        }
    }

    @Test
    void unknownFiltersAreErrorsAsInJinja() throws Exception {
        ChatTemplate t = new ChatTemplate("t", "{{ messages[0].content | nosuchfilter }}");
        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> t.render(CONVERSATION, true, "", ""));
        assertTrue(e.getMessage().contains("nosuchfilter"), e.getMessage());
        // a | inside a string is not a filter
        assertEquals("<|im_start|>", new ChatTemplate("t", "{{ '<|im_start|>' | trim }}").render(CONVERSATION, true, "", ""));
    }

    @Test
    void closestBuiltinFollowsTheTemplatesMarkers() {
        assertEquals("gemma", BuiltinTemplates.closestTo("{{ '<start_of_turn>user' }}").name());
        assertEquals("llama3", BuiltinTemplates.closestTo("<|start_header_id|>").name());
        assertEquals("llama2", BuiltinTemplates.closestTo("[INST] <<SYS>>").name());
        assertEquals("mistral", BuiltinTemplates.closestTo("[INST]").name());
        assertEquals("chatml", BuiltinTemplates.closestTo("{{ nonsense").name());
    }
}
