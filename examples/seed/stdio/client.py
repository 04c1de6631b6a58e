from langchain_openai import ChatOpenAI

from mcp_use import MCPAgent, MCPClient

client = MCPClient.from_config_file("config.json")
llm = ChatOpenAI(model="gpt-4o")
agent = MCPAgent(llm=llm, client=client)
